"""Component factories and per-page plumbing shared by the screens (ids named once)."""
