"""Reader for the Women's E-Commerce Clothing Reviews CSV (1-5 stars) and its train/valid split file."""
from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from rnn.data import SHARED_DATA, open_text

REVIEWS_DIR = SHARED_DATA / "sentiment" / "womens_ecommerce_reviews"
REVIEWS_CSV = REVIEWS_DIR / "womens_clothing_ecommerce_reviews.csv.gz"
SPLIT_CSV = REVIEWS_DIR / "split.csv"
TEXT_COLUMN, RATING_COLUMN = "Review Text", "Rating"


@dataclass(frozen=True)
class Review:
    id: str
    text: str
    stars: int  # 1..5


def read_reviews(path: str | Path) -> list[Review]:
    """Every row with review text and a 1-5 rating; rows with empty `Review Text` are skipped.

    The row id is the CSV's first, unnamed column (what split.csv refers to). The Title column is not
    used: the app's model reads the review text only.
    """
    reviews: list[Review] = []
    with open_text(path) as f:
        reader = csv.reader(f)
        header = next(reader, None)
        if header is None:
            return reviews
        if TEXT_COLUMN not in header or RATING_COLUMN not in header:
            raise ValueError(f"{path}: expected the columns {TEXT_COLUMN!r} and {RATING_COLUMN!r}, got {header}")
        text_at, rating_at = header.index(TEXT_COLUMN), header.index(RATING_COLUMN)
        for row in reader:
            if len(row) <= max(text_at, rating_at):
                continue
            text = row[text_at].strip()
            if not text:
                continue
            try:
                stars = int(float(row[rating_at]))
            except ValueError:
                continue
            if 1 <= stars <= 5:
                reviews.append(Review(id=row[0], text=text, stars=stars))
    return reviews


def read_split(path: str | Path = SPLIT_CSV) -> dict[str, str]:
    """split.csv: row id -> 'train' / 'valid' / 'test' / 'drop'."""
    with open_text(path) as f:
        return {row["id"]: row["split"] for row in csv.DictReader(f)}


def split_reviews(reviews: list[Review], split: dict[str, str]) -> dict[str, list[Review]]:
    """Group reviews by their split name (rows missing from the split file are left out)."""
    groups: dict[str, list[Review]] = {}
    for review in reviews:
        name = split.get(review.id)
        if name is not None:
            groups.setdefault(name, []).append(review)
    return groups
