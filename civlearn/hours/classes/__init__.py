"""學習資訊中心: class offerings, search, registration, attendance, closing into the ledger, the 行事曆."""
