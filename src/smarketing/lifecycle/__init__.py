"""The shared funnel: lifecycle stages, who owns each, and how a contact moves."""
