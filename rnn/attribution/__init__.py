"""Which words did the network use: word attributions for the four task models (occlusion), the narration and the
shaded words the pages show, and the faithfulness check behind `python -m rnn.evaluate attribution TASK FILE`.

Modules: occlusion (the method and the Attribution it gives), tasks (each task model's answer, occluded word by
word), explain (narration and HTML), faithfulness (the CLI).
"""
from rnn.attribution.explain import (attention_html, attention_versus_attribution, influence_html, narrate,
                                     reading_guide)
from rnn.attribution.occlusion import METHOD, METHOD_TEXT, Attribution, occlusion_scores
from rnn.attribution.tasks import (TASKS, attribute, entity_attribution, next_word_attribution, stars_attribution,
                                   translation_attribution)

__all__ = ["METHOD", "METHOD_TEXT", "TASKS", "Attribution", "attention_html", "attention_versus_attribution",
           "attribute", "entity_attribution", "influence_html", "narrate", "next_word_attribution", "occlusion_scores",
           "reading_guide", "stars_attribution", "translation_attribution"]
