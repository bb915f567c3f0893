"""學習機關(構)專區: applications, operator review, the institution's members."""
