"""The guided lesson on the home page: the video's story in order, each step a question to guess first and a link
that opens a page on a prepared sentence (step title, page script, the link's query values, the question)."""
from __future__ import annotations

HIDDEN_STATE_PAGE = "pages/5_Hidden_State.py"
WATCH_IT_LEARN_PAGE = "pages/6_Watch_It_Learn.py"

LESSON = [
    ("Why a plain network struggles", HIDDEN_STATE_PAGE, {"model": "Review stars", "text": "The fabric is not bad at all, I really love it"},
     "A plain feed-forward network that accepts 10-word reviews: how many input neurons does it need, and how many of them "
     "are switched on for this review? Guess, then open the **Feed-forward network** tab."),
    ("Order matters", "pages/4_Review_Stars.py", {"text": "not good, really bad"},
     "“not bad, really good” and “not good, really bad” use the same words. Will the feed-forward network and the RNN "
     "give them different stars? Guess for each, then try both."),
    ("Memory", HIDDEN_STATE_PAGE, {"model": "Review stars"},
     "Two reviews differ only in their fourth word. Once the words are the same again, does the network forget the "
     "difference at once, slowly, or never? Guess, then open the **Memory** tab."),
    ("Autocomplete", "pages/1_Autocomplete.py", {"text": "I would like to "},
     "Write down the three words you would suggest after “I would like to”. Then compare with the model's."),
    ("Translate", "pages/2_Translate.py", {"text": "My grandmother lives in a small village."},
     "Why must the encoder read the whole sentence before the decoder writes its first French word? French has two "
     "words for “my”: *mon* and *ma*. After reading only “My”, which would you write? Guess, then see what the decoder "
     "would write first after each English word."),
    ("Entities", "pages/3_Entities.py", {"text": "Dhaval loves baby yoda"},
     "The video's example. Will the network find both names, *Dhaval* and *baby yoda*? If it misses one, which, and why?"),
    ("Training", WATCH_IT_LEARN_PAGE, {},
     "Two networks learn the same sentences. Which one still works when the same phrase stands further along the sentence?"),
]


