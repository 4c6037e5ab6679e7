"""Lead scoring: a versioned, explainable model of fit and engagement, and the MQL rule."""
