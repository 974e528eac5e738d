"""The tokeniser and the vocabulary: offsets, caps, unknown words, hostile text."""
import pytest

from rnn.text import MAX_TOKENS, SPECIALS, Vocab, tokenize, words


def test_tokens_keep_character_offsets():
    text = "Dhaval loves baby yoda."
    tokens = tokenize(text)
    assert [t.text for t in tokens] == ["Dhaval", "loves", "baby", "yoda", "."]
    assert all(text[t.start:t.end] == t.text for t in tokens)


def test_whitespace_is_not_a_token():
    assert words("  not   bad,\n really\tgood  ") == ["not", "bad", ",", "really", "good"]


@pytest.mark.parametrize("text", ["", "   ", "\n\t"])
def test_empty_text_gives_no_tokens(text):
    assert tokenize(text) == []


def test_ten_thousand_characters_are_capped():
    tokens = tokenize("word " * 2000)
    assert len(tokens) == MAX_TOKENS


def test_script_tags_and_emoji_are_plain_tokens():
    text = "<script>alert(1)</script> great 👍"
    tokens = tokenize(text)
    assert "great" in [t.text for t in tokens]
    assert all(text[t.start:t.end] == t.text for t in tokens)


def test_vocab_starts_with_specials_and_ranks_by_frequency():
    vocab = Vocab.build([["b", "a", "b"], ["c", "b", "a"]])
    assert vocab.itos[: len(SPECIALS)] == list(SPECIALS)
    assert vocab.itos[4:] == ["b", "a", "c"]


def test_vocab_min_freq_and_max_size():
    sentences = [["a", "a", "b", "c", "c", "c"]]
    assert Vocab.build(sentences, min_freq=2).itos[4:] == ["c", "a"]
    assert Vocab.build(sentences, max_size=5).itos[4:] == ["c"]


def test_unknown_words_map_to_unk_never_keyerror():
    vocab = Vocab.build([["hello"]])
    assert vocab.encode(["hello", "zebra"]) == [4, Vocab.unk_id]
    assert vocab.known(["hello", "zebra"]) == [True, False]
    assert "<unk>" not in vocab  # specials are not "known words"
    assert vocab.decode([4, 999]) == ["hello", "<unk>"]


def test_vocab_json_round_trip(tmp_path):
    vocab = Vocab.build([["é", "l'", "😀", "<script>"]])
    vocab.save(tmp_path / "v.json")
    assert Vocab.load(tmp_path / "v.json").itos == vocab.itos


def test_vocab_rejects_a_file_that_is_not_a_vocabulary(tmp_path):
    (tmp_path / "v.json").write_text('{"a": 1}')
    with pytest.raises(ValueError):
        Vocab.load(tmp_path / "v.json")


def test_markdown_escaping_keeps_user_text_as_typed():
    from rnn.ui import plain

    assert plain("**bold** [x](javascript:alert(1)) a_b") == r"\*\*bold\*\* \[x\]\(javascript\:alert\(1\)\) a\_b"
