"""The people behind the loans: borrowers, their contact points and third parties; file import."""
