"""Your sentences: every problem a teacher's CSV can have gets its own message, naming the row."""
import pytest

from rnn.own.data import (MAX_CSV_BYTES, MAX_LABELS, MAX_ROWS, MAX_TEXT_CHARS, MIN_ROWS, CsvProblem, decode, parse_csv,
                          split, to_csv)


def rows(n: int = 24, labels=("yes", "no")) -> list[tuple[str, str]]:
    return [(f"sentence number {i}", labels[i % len(labels)]) for i in range(n)]


def problem(text: str) -> str:
    with pytest.raises(CsvProblem) as caught:
        parse_csv(text)
    return str(caught.value)


def test_a_good_csv_is_split_four_to_one_with_every_label_held_out():
    data = parse_csv(to_csv(rows(40)))
    assert data.labels == ("yes", "no")
    assert len(data.train) == 32 and len(data.valid) == 8
    assert set(data.targets(data.valid)) == {0, 1}
    assert not set(data.train) & set(data.valid)
    assert split(list(data.rows), data.labels) == (data.train, data.valid)  # the fixed seed repeats it


def test_columns_may_come_in_either_order_and_in_any_case():
    text = "Label,TEXT\n" + "\n".join(f"{label},{sentence}" for sentence, label in rows())
    assert parse_csv(text).rows[0].text == "sentence number 0"


def test_empty_text_and_empty_label_name_their_rows():
    text = to_csv(rows()) + ",yes\nhello,\n"
    message = problem(text)
    assert "Row 26: the text is empty." in message and "Row 27: the label is empty." in message


def test_blank_lines_are_skipped_not_counted():
    data = parse_csv(to_csv(rows()).replace("\n", "\n\n", 3))
    assert len(data.rows) == 24


def test_one_label_only():
    assert "Every row has the same label (yes); give at least two labels." in problem(to_csv(rows(labels=("yes",))))


def test_too_many_labels():
    labels = tuple(f"l{i}" for i in range(MAX_LABELS + 1))
    assert f"There are {MAX_LABELS + 1} labels; the most is {MAX_LABELS}." in problem(to_csv(rows(5 * len(labels), labels)))


def test_a_label_with_too_few_rows():
    assert "too few for: rare." in problem(to_csv(rows() + [("odd one", "rare")]))


def test_too_few_rows():
    assert f"There are 6 rows; the networks need at least {MIN_ROWS}." in problem(to_csv(rows(6)))


def test_too_many_rows():
    assert f"the most is {MAX_ROWS:,}" in problem(to_csv([(f"s {i}", "ab"[i % 2]) for i in range(MAX_ROWS + 1)]))


def test_too_long_text():
    long = "word " * 100
    message = problem(to_csv(rows() + [(long.strip(), "yes")]))
    assert f"Row 26: the text is 499 characters long; the most is {MAX_TEXT_CHARS}." in message


def test_wrong_columns():
    assert "Row 1 must name the two columns, text,label (found: sentence,class)." in problem("sentence,class\nhi,yes\n")


def test_a_row_with_an_unquoted_comma():
    message = problem(to_csv(rows()) + "good, really good,yes\n")
    assert "Row 26 has 3 values, not 2 (text,label). If the text has a comma in it, put the text in double quotes." in message


def test_an_unclosed_quote():
    assert "Row" in problem(to_csv(rows()) + '"never closed,yes\n' * 3)


def test_nothing_at_all():
    assert "There is nothing here" in problem("   \n\n")


def test_not_utf8():
    with pytest.raises(CsvProblem, match="not UTF-8 text .*CSV UTF-8"):
        decode("text,label\ncafé,yes\n".encode("latin-1"))


def test_too_big_a_file():
    with pytest.raises(CsvProblem, match="the most it can be is 1 MB"):
        decode(b"x" * (MAX_CSV_BYTES + 1))


def test_utf8_with_a_byte_order_mark_reads():
    assert parse_csv(decode(("\ufeff" + to_csv(rows())).encode("utf-8"))).labels == ("yes", "no")


def test_html_and_emoji_are_just_text():
    data = parse_csv(to_csv(rows() + [("<script>alert(1)</script> 🎉", "yes")] * 2))
    assert data.rows[-1].text.startswith("<script>")


def test_a_long_list_of_problems_is_cut_with_a_count():
    message = problem(to_csv(rows()) + ",yes\n" * 20)
    assert "…and 12 more." in message
