"""e等公務園+, one package per concern:

- `catalogue/`  zones, courses, search, enrolment, the course and unit pages
- `reading/`    reading time: heartbeat tokens and crediting (SQL in services.py, Lua in redis_store.py — one rule,
                pinned by tests/test_services_reading.py run against both stores), the flusher, video
- `assessment/` tests and questionnaires
- `completion/` the course's pass rule, posting hours to the portal, consent, certificates
- `home/`       個人專區: dashboard, goals, points and levels, records, profile, course packages
- `provide/`    course providers' pages (我教的課, SCORM uploads)
- `scorm/`      SCORM packages: manifest, import, content origin, runtime and tracking
- `models/`     every model, one module per concern (`from civlearn.learning.models import Course` works for all)
- `selectors.py` what other apps and operations may read from learning (e.g. the flusher's status)
"""
