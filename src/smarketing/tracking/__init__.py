"""First-party website tracking: /t.js, /track, visitors, stitching, channel rules."""
