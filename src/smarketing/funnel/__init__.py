"""The shared funnel read both by marketing and sales: contacts per stage, entries per month."""
