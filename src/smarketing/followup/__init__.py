"""Sales follow-up: attempts on leads (calls, emails, meetings, social touches)."""
