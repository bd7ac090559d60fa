"""Campaigns and near-duplicate clusters: confirm, split, answer together."""
