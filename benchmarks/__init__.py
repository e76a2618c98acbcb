"""Scripts that print measured figures (not pass/fail tests)."""
