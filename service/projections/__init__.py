"""Pure folds from events to read models. No Flask, no SQL: the view stores what they compute."""
