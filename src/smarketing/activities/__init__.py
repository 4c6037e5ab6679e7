"""Marketing activities (touchpoints): recorded once whatever door they come through
(API one by one or in batches, tracking, webhooks, imports), with their contacts' touches
and the owners' alerts."""
