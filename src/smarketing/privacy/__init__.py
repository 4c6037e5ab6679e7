"""A person's data on request (GDPR articles 15, 17 and 20): export everything held about
an email address as JSON, or erase it and keep the address from coming back (the
suppression list, smarketing.contacts.suppression). See docs/privacy.md."""
