"""Offline evaluation of the recommender on hand-written orientation cases (real shared data)."""
