"""Revenue attribution: which channels and campaigns brought the conversions (issue 13)."""
