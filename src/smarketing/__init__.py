"""smarketing: sales and marketing alignment on one shared funnel."""

__version__ = "0.1.0"
