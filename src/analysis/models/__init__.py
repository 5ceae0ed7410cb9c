"""Estimation code for the registered hypotheses (firm, industry, country level) and result tables."""
