"""Application logic, free of Flask request objects."""
