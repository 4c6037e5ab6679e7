"""A person's own settings: the language of their pages and the notification kinds they
turn off. The "My account" page (`pages`) and `smarketing users set` (`cli`) both go
through `service`."""
