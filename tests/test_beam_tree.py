"""The beam search as a tree, and decoding forced to start with a branch: on a small random network (any network
must keep these), on the shipped translator's own sentences, and on the Translate page's Beam tree tab."""
import dataclasses

import pytest
import torch

from rnn.lesson import LESSON
from rnn.nets.seq2seq import BeamStep, Seq2Seq, Seq2SeqConfig, beam_search
from rnn.tasks import translate
from rnn.tasks.translate import beam_tree
from rnn.tasks.translate.beam_tree import FINISHED, FORCED, KEPT, PRUNED, BeamTree, Node
from rnn.tasks.translate.model import Translator, english_tokens, french_tokens, source_ids
from rnn.text import Vocab
from rnn.viz_beam import beam_tree as tree_figure
from tests.apptest import needs_bundle, run_page

SUBJECTS = [("I am", "Je suis"), ("You are", "Tu es"), ("He is", "Il est"), ("She is", "Elle est")]
STATES = [("cold", "froid"), ("tired", "fatigué"), ("ready", "prêt"), ("here", "là")]
PAIRS = [(f"{en} {state}.", f"{fr} {etat}.") for en, fr in SUBJECTS for state, etat in STATES]
SENTENCES = ["I am cold.", "She is tired.", "cold cold he"]


def _padded(rows: list[list[int]]) -> torch.Tensor:
    return torch.tensor([row + [Vocab.pad_id] * (max(map(len, rows)) - len(row)) for row in rows])


@pytest.fixture(scope="module")
def model() -> Translator:
    """A small translator trained for a second on 16 pairs like 'I am cold.' -> 'Je suis froid.'."""
    english = [[w.lower() for w in english_tokens(en)] for en, _ in PAIRS]
    french = [french_tokens(fr) for _, fr in PAIRS]
    vocab, tgt_vocab = Vocab.build(english), Vocab.build(french)
    src, tgt = [vocab.encode(e) for e in english], [tgt_vocab.encode(f) for f in french]
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # as the app runs (rnn.ui): on a shared 2-core machine two threads only fight
    with torch.random.fork_rng():
        torch.manual_seed(0)
        net = Seq2Seq(Seq2SeqConfig(src_vocab=len(vocab), tgt_vocab=len(tgt_vocab), emb=16, enc_hidden=16,
                                    dec_hidden=24, dropout=0.0))
        optimiser = torch.optim.Adam(net.parameters(), lr=0.03)
        batch = (_padded(src), torch.tensor([len(s) for s in src]), _padded([[Vocab.bos_id] + t for t in tgt]),
                 _padded([t + [Vocab.eos_id] for t in tgt]))
        for _ in range(80):
            optimiser.zero_grad()
            net(*batch).backward()
            optimiser.step()
    torch.set_num_threads(threads)
    return Translator(bundle=None, net=net.eval(), vocab=vocab, tgt_vocab=tgt_vocab)


def _encoded(model: Translator, sentence: str):
    ids = source_ids(model.vocab, english_tokens(sentence))
    return model.net.encode(torch.tensor([ids]), torch.tensor([len(ids)])), 2 * len(ids) + 10


# ---------------------------------------------------------------- the tree is the search the page ran


@pytest.mark.parametrize("width", [1, 3])
def test_recording_the_search_leaves_its_translations_unchanged(model, width):
    with torch.inference_mode():
        enc, limit = _encoded(model, "You are tired here.")
        plain = beam_search(model.net, enc, Vocab.bos_id, Vocab.eos_id, limit, width=width)
        record: list[BeamStep] = []
        recorded = beam_search(model.net, enc, Vocab.bos_id, Vocab.eos_id, limit, width=width, record=record)
    assert recorded == plain and record and not any(step.forced for step in record)


@pytest.mark.parametrize("sentence", SENTENCES)
def test_the_trees_winner_is_the_pages_translation(model, sentence):
    result = translate.predict(model, sentence, beam=3)
    tree = beam_tree.from_result(model, result)
    assert tree.winner.text == result.alternatives[0].text
    assert list(tree.winner.words) == result.target  # <eos> last, as the decoder wrote it
    assert tree.winner.score == pytest.approx(result.alternatives[0].score, abs=1e-4)
    # searching again from the text alone draws the same tree
    assert beam_tree.search(model, sentence, beam=3).nodes == tree.nodes


@pytest.mark.parametrize("width", [1, 2, 4])
def test_each_step_keeps_the_best_width_and_marks_the_rest_pruned(model, width):
    tree = beam_tree.search(model, "You are tired here.", beam=width)
    for step in range(1, tree.steps + 1):
        nodes = tree.at(step)
        assert [n.logprob for n in nodes] == sorted((n.logprob for n in nodes), reverse=True)
        assert len(nodes) <= 2 * width and sum(n.fate == KEPT for n in nodes) <= width
        kept = [n.logprob for n in nodes if n.fate == KEPT]
        assert all(n.logprob <= min(kept) for n in nodes if n.fate == PRUNED and not n.ends)
        assert all(n.row >= width for n in nodes if n.fate == PRUNED and n.ends)  # an <eos> below the best width
        for node in nodes:
            parent = tree.nodes[node.parent] if node.parent is not None else None
            assert (parent is None) == (step == 1)
            assert parent is None or (parent.fate == KEPT and parent.step == step - 1 and parent.ids == node.ids[:step - 1])
    pruned = {i for i, n in enumerate(tree.nodes) if n.fate == PRUNED}
    assert pruned and not any(n.parent in pruned for n in tree.nodes)  # nothing grows from a pruned branch
    winners = [n for n in tree.nodes if n.winner]
    assert [n.step for n in winners] == list(range(1, winners[-1].step + 1)) and winners[-1].rank == 0


def test_a_search_stopped_by_the_length_limit_says_so(model):
    tree = beam_tree.search(model, "here here you are cold", beam=3)
    assert not tree.winner.ends and tree.winner.step == tree.steps == 2 * 5 + 10
    assert tree.describe(tree.winner) == "open at the length limit: translation 1 of the search's final 3"
    assert "was still open when the length limit stopped the search" in beam_tree.tree_summary(tree)


@pytest.mark.parametrize("sentence", [*SENTENCES, "You are tired here.", "he he cold"])
def test_where_greedy_decoding_leaves_the_winners_path_is_where_the_tree_says(model, sentence):
    tree, greedy = beam_tree.search(model, sentence, beam=3), beam_tree.search(model, sentence, beam=1).winner
    turn = beam_tree.greedy_turn(tree)
    if turn is None:
        assert greedy.words == tree.winner.words
        assert beam_tree.tree_summary(tree).endswith("would have written the same.")
    else:
        node, likelier = turn
        assert greedy.words[:node.step] == (*node.words[:-1], likelier.words[-1]) != tree.winner.words[:node.step]


# ---------------------------------------------------------------- forcing a branch


def _pruned_branch(tree: BeamTree, step: int) -> Node:
    return next(n for n in tree.at(step) if n.fate == PRUNED and not n.ends)


def test_forced_words_come_first_then_the_models_own_beam_search(model):
    own = beam_tree.search(model, "I am cold.", beam=3)
    prefix = _pruned_branch(own, 2).ids
    forced = beam_tree.search(model, "I am cold.", beam=3, prefix=prefix)
    assert forced.forced == 2 and [n.fate for n in forced.nodes[:2]] == [FORCED, FORCED]
    assert all(n.ids[:2] == prefix for n in forced.nodes if n.step > 2)
    assert forced.winner.ids[:2] == prefix and forced.winner.fate == FINISHED
    # The rest is exactly the beam search of the same network started where the forced words left it:
    # fed the last forced word, from the hidden state after them, with their log-probability added.
    with torch.inference_mode():
        enc, limit = _encoded(model, "I am cold.")
        hidden, before = enc.start, 0.0
        for prev, word in zip((Vocab.bos_id, *prefix), prefix):
            logp, hidden, _ = model.net.step(torch.tensor([prev]), hidden, enc)
            before += float(logp[0, word])
        started = _FirstWordReplaced(model.net, prefix[-1])
        reference: list[BeamStep] = []
        beam_search(started, dataclasses.replace(enc, start=hidden), Vocab.bos_id, Vocab.eos_id, limit - 2, width=3,
                    record=reference)
        record: list[BeamStep] = []
        beam_search(model.net, enc, Vocab.bos_id, Vocab.eos_id, limit, width=3, prefix=prefix, record=record)
    assert len(record) == 2 + len(reference)
    for ours, theirs in zip(record[2:], reference):
        assert [(r, w, k) for r, w, _, k in ours.candidates] == [(r, w, k) for r, w, _, k in theirs.candidates]
        assert [t for *_, t, _ in ours.candidates] == pytest.approx([before + t for *_, t, _ in theirs.candidates], abs=1e-4)


class _FirstWordReplaced:
    """A network whose first decoder step is fed `word` instead of <bos>."""

    def __init__(self, net, word: int):
        self.net, self.word, self.started = net, word, False

    def step(self, prev, hidden, enc):
        return self.net.step(self._fed(prev), hidden, enc)

    def best_next(self, prev, hidden, enc, totals, k):
        return self.net.best_next(self._fed(prev), hidden, enc, totals, k)

    def _fed(self, prev):
        if not self.started:
            self.started, prev = True, torch.full_like(prev, self.word)
        return prev


def test_a_greedy_decoder_forced_to_start_with_a_word_goes_on_greedily(model):
    own = beam_tree.search(model, "You are tired here.", beam=1)
    start = _pruned_branch(own, 1).ids  # the second-best first word, which greedy decoding drops
    forced = beam_tree.search(model, "You are tired here.", beam=1, prefix=start)
    with torch.inference_mode():
        enc, limit = _encoded(model, "You are tired here.")
        ids, prev, hidden = list(start), torch.tensor([Vocab.bos_id]), enc.start
        for word in start:
            _, hidden, _ = model.net.step(prev, hidden, enc)
            prev = torch.tensor([word])
        while len(ids) < limit:
            logp, hidden, _ = model.net.step(prev, hidden, enc)
            prev = logp.argmax(dim=-1)
            if int(prev) == Vocab.eos_id:
                break
            ids.append(int(prev))
    assert forced.winner.ids == tuple(ids)


def test_forcing_the_decoders_own_start_changes_nothing_when_greedy(model):
    own = beam_tree.search(model, "I am cold.", beam=1)
    forced = beam_tree.search(model, "I am cold.", beam=1, prefix=own.winner.ids[:2])
    assert forced.winner.ids == own.winner.ids and forced.winner.score == pytest.approx(own.winner.score, abs=1e-5)
    assert beam_tree.forced_narration(own, forced).endswith("forcing it changes nothing.")


def test_special_and_unknown_ids_in_a_prefix_are_left_out(model):
    tree = beam_tree.search(model, "I am cold.", beam=2, prefix=[-3, Vocab.bos_id, Vocab.eos_id, 5, 10_000, Vocab.pad_id])
    assert tree.forced == 1 and tree.winner.ids[0] == 5


@pytest.mark.parametrize("text", ["", "   ", "<script>alert(1)</script>", "a" * 10_000, "word " * 2_000, "👍🏽 中文"],
                         ids=["empty", "spaces", "script", "one long word", "2000 words", "emoji"])
def test_hostile_text_breaks_nothing(model, text):
    tree = beam_tree.search(model, text, beam=3)
    summary = beam_tree.tree_summary(tree)
    if not tree.nodes:
        assert tree.winner is None and summary.startswith("There was nothing to translate")
        return
    forced = beam_tree.search(model, text, beam=3, prefix=tree.nodes[tree.branches()[-1]].ids)
    assert forced.winner is not None and beam_tree.forced_narration(tree, forced).startswith("Forced to start with")
    assert len(tree_figure(tree).layout.annotations) == len(tree.nodes)


# ---------------------------------------------------------------- the words and the figure


def _node(step, words, score, fate, parent=None, rank=None, winner=False, row=0) -> Node:
    ids = tuple(hash(w) for w in words if w != "<eos>")  # a stand-in id per word
    return Node(step, ids, tuple(words), score * 2, score, fate, parent, row, rank, winner)


def _finished(*words: str, score: float, forced: int = 0) -> BeamTree:
    """A one-path tree whose winner finishes with these words (the first `forced` of them forced)."""
    nodes = [_node(i + 1, [*words[: i + 1]], score, FORCED if i < forced else KEPT, i - 1 if i else None, winner=True)
             for i in range(len(words))]
    nodes.append(_node(len(words) + 1, [*words, "<eos>"], score, FINISHED, len(words) - 1, rank=0, winner=True))
    return BeamTree(nodes, 4, forced)


def test_the_narration_says_which_scores_better_and_why():
    own = _finished("Ma", "mère", ".", score=-0.25)
    worse = beam_tree.forced_narration(own, _finished("Mon", "mère", ".", score=-1.5, forced=1))
    assert worse.startswith("Forced to start with “Mon”, the decoder continues “mère.”: “Mon mère.”, score −1.50, "
                            "against −0.25 for its own choice “Ma mère.”.")
    assert "Its own choice scores better" in worse
    better = beam_tree.forced_narration(own, _finished("Une", "mère", ".", score=-0.1, forced=1))
    assert "The forced translation scores better" in better and "keeps only 4 partial translations" in better
    markdown = beam_tree.forced_narration(own, _finished("*", "mère", score=-1.0, forced=1), plain=lambda s: s.replace("*", r"\*"))
    assert "“\\*”" in markdown  # the page escapes the French it quotes


def test_each_step_is_told_in_words():
    tree = BeamTree([_node(1, ["Ma"], -0.1, KEPT, winner=True), _node(1, ["Mon"], -2.0, PRUNED, row=1),
                     _node(2, ["Ma", "<eos>"], -0.3, FINISHED, 0, rank=0, winner=True),
                     _node(2, ["Ma", "mère"], -0.5, KEPT, 0, row=1)], 1)
    assert beam_tree.step_narration(tree, 1) == ("Word 1: of the 2 best ways to go on, 1 kept: “Ma” (−0.10); "
                                                "1 pruned, the best of them “Mon” (−2.00).")
    assert "1 still open when the search stopped: “Ma mère”" in beam_tree.step_narration(tree, 2)
    assert "1 finished: “Ma” (−0.30)" in beam_tree.step_narration(tree, 2)
    assert tree.describe(tree.nodes[2]) == "finished: translation 1 of the search's final 1"
    assert beam_tree.narration(tree) == [beam_tree.step_narration(tree, 1), beam_tree.step_narration(tree, 2)]


def test_the_figure_shows_the_chosen_steps_escaped_with_the_winner_bold_and_pruned_dotted(model):
    tree = beam_tree.search(model, "You are tired here.", beam=3)
    figure = tree_figure(tree, 2, 3)
    boxes = figure.layout.annotations
    assert {box.x for box in boxes} == {2, 3} and len(boxes) == len(tree.at(2)) + len(tree.at(3))
    assert all("<b>" in box.text for box, n in zip(boxes, tree.at(2) + tree.at(3)) if n.winner)
    assert any(trace.line.dash == "dot" for trace in figure.data)
    assert figure.layout.dragmode is False and figure.layout.xaxis.fixedrange and figure.layout.yaxis.fixedrange
    projector = tree_figure(tree, 2, 3, size=19)  # larger words, taller rows
    assert projector.layout.annotations[0].font.size == 19 and projector.layout.height > figure.layout.height
    unknown = BeamTree([_node(1, ["<unk>"], -1.0, KEPT, winner=True, rank=0)], 1)
    assert "&lt;unk&gt;" in tree_figure(unknown).layout.annotations[0].text


# ---------------------------------------------------------------- the shipped translator and its page

DEFAULT = "My grandmother lives in a small village."  # the page's default sentence
LESSON_SENTENCE = next(query["text"] for _, page, query, _ in LESSON if page == "pages/2_Translate.py")


@pytest.fixture(scope="module")
def shipped() -> Translator:
    return translate.load()


@needs_bundle("translate")
@pytest.mark.parametrize("sentence", sorted({DEFAULT, LESSON_SENTENCE}))
def test_on_the_pages_sentences_the_tree_ends_in_the_translation_and_mon_goes_on_as_the_decoder_likes(shipped, sentence):
    result = translate.predict(shipped, sentence, beam=5)
    tree = beam_tree.from_result(shipped, result)
    assert tree.winner.text == result.translation == "Ma grand-mère vit dans un petit village."
    mon = next(i for i in tree.branches() if tree.nodes[i].words == ("Mon",))
    forced = beam_tree.search(shipped, sentence, 5, tree.nodes[mon].ids)
    assert forced.winner.words[0] == "Mon" and forced.winner.score < tree.winner.score
    told = beam_tree.forced_narration(tree, forced)
    assert told.startswith(f"Forced to start with “Mon”, the decoder continues “{forced.winner.text[4:]}”")
    assert f"score {beam_tree.signed(forced.winner.score)}, against {beam_tree.signed(tree.winner.score)}" in told
    assert all(len(tree.at(step)) == 10 for step in range(1, tree.steps + 1))  # "drawn are the 10 best candidates"


@needs_bundle("translate")
def test_on_the_longer_example_the_tree_says_where_greedy_decoding_goes_wrong(shipped):
    longer = "If it rains tomorrow, we will stay at home and watch a film."  # the page's "Longer" example
    told = beam_tree.tree_summary(beam_tree.from_result(shipped, translate.predict(shipped, longer, beam=5)))
    assert "At word 1 its “S'” was not the likeliest next word: “Si” was." in told
    assert translate.predict(shipped, longer, beam=1).translation.startswith("Si ")


@needs_bundle("translate")
def test_the_beam_tree_tab_draws_the_search_only_while_open_and_forces_a_branch():
    closed = run_page("2_Translate.py", DEFAULT)
    assert not any(s.label == "Start the French with" for s in closed.selectbox)  # its cost is paid only when open
    app = run_page("2_Translate.py", DEFAULT, tab="Beam tree")
    assert any(c.value.startswith("The search ran for 9 steps") for c in app.caption)
    assert [s.value for s in app.select_slider if s.label == "Words shown"] == [(1, 4)]
    branch = next(s for s in app.selectbox if s.label == "Start the French with")
    branch.select_index(next(i for i, label in enumerate(branch.options) if label.startswith("word 1: Mon ("))).run()
    assert not app.exception
    told = next(i.value for i in app.info if i.value.startswith("Forced to start with “Mon”"))
    assert "against −0.20 for its own choice “Ma grand\\-mère vit dans un petit village\\.”" in told
    table = app.dataframe[-1].value
    assert list(table["decoder"]) == ["its own choice", "forced"] and table["translation"][1].startswith("Mon ")


@needs_bundle("translate")
@pytest.mark.parametrize("text", ["<script>alert(1)</script>", "word " * 2_000], ids=["script", "10000 characters"])
def test_the_beam_tree_tab_takes_hostile_text_and_greedy_decoding(text):
    app = run_page("2_Translate.py", text, beam="1", tab="Beam tree")
    branch = next(s for s in app.selectbox if s.label == "Start the French with")
    branch.select_index(len(branch.options) - 1).run()
    assert not app.exception and any(i.value.startswith("Forced to start with") for i in app.info)


@needs_bundle("translate")
def test_the_beam_tree_tab_asked_for_with_no_text_only_asks_for_a_sentence():
    app = run_page("2_Translate.py", "", tab="Beam tree")
    assert any(i.value.startswith("Type a sentence") for i in app.info) and not app.selectbox

