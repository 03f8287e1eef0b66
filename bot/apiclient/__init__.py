"""Pieces every outbound platform client shares (Zalo OA, Zalo Graph, Facebook Graph)."""
