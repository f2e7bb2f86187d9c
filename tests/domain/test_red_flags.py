"""The free-text red flags: every term of the lexicon, in English and Spanish, with its negations."""

from __future__ import annotations

import unicodedata

import pytest

from reactions.domain import catalogue, lexicon, triage
from reactions.domain.lexicon import LEXICON
from reactions.domain.red_flags import normalise, red_flags

TERMS = [
    (code, language, term)
    for code, terms in LEXICON.items()
    for language in ("en", "es")
    for term in getattr(terms, language)
]
IDS = [f"{language}:{term}" for _code, language, term in TERMS]
NEGATIONS = {"en": ["no", "not", "never", "without", "I don't have"], "es": ["no", "sin", "nunca", "ni"]}


def _example(term: str) -> str:
    """The term as text: a prefix term ("wheez*") by its stem (examples with endings are further down)."""
    return term.rstrip("*")


def _strip_accents(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def _starts_with_a_negation(term: str) -> bool:
    return normalise(term).split()[0] in lexicon.NEGATIVE_STARTS


def test_the_lexicon_covers_every_offered_warning_sign_in_both_languages():
    assert set(LEXICON) == {s.code for s in catalogue.OFFERED_WARNING_SIGNS}
    for code, terms in LEXICON.items():
        assert terms.en and terms.es, code
    assert not {s.code for s in catalogue.SYMPTOMS if s.retired} & set(LEXICON)  # their words are breathing_trouble's


def test_no_term_names_two_signs():
    owner: dict[str, str] = {}
    for code, _language, term in TERMS:
        key = normalise(term)
        assert owner.setdefault(key, code) == code, f"{term!r}: {owner[key]} and {code}"


@pytest.mark.parametrize(("code", "language", "term"), TERMS, ids=IDS)
def test_every_term_names_its_sign_alone_in_a_sentence_in_any_case_and_without_accents(code, language, term):
    text = _example(term)
    assert red_flags(text) == (code,)
    assert red_flags(f"Since last night: {text}. Please call me.") == (code,)
    assert red_flags(f"Desde anoche, {text}.") == (code,)
    assert red_flags(text.upper()) == (code,)
    assert red_flags(_strip_accents(text)) == (code,)
    assert red_flags(text.replace("'", "\u2019")) == (code,)  # a phone's curly apostrophe


@pytest.mark.parametrize(("code", "language", "term"), TERMS, ids=IDS)
def test_a_denied_term_is_skipped_unless_it_is_itself_a_complaint(code, language, term):
    text = _example(term)
    for negation in NEGATIONS[language]:
        expected = (code,) if _starts_with_a_negation(term) else ()
        assert red_flags(f"{negation} {text}") == expected, negation
        assert red_flags(f"{negation.capitalize()} {text} today") == expected, negation
    # Three words away still denies; a clause break ends the denial.
    if not _starts_with_a_negation(term):
        far = "never had any" if language == "en" else "nunca tuve ninguna"
        assert red_flags(f"{far} {text}") == ()
        assert red_flags(f"no fever, {text}") == (code,)
        assert red_flags(f"sin fiebre pero {text}") == (code,)
        assert red_flags(f"no fever or anything else like {text}") == (code,)  # further than three words


MULTI_WORD = [t for t in TERMS if len(normalise(t[2]).split()) > 1]
ONE_WORD = [normalise(term) for _code, _language, term in TERMS if len(normalise(term).split()) == 1]


def _a_term_itself(word: str) -> bool:
    return any(word == t or (t.endswith("*") and word.startswith(t[:-1])) for t in ONE_WORD)


@pytest.mark.parametrize(("code", "language", "term"), MULTI_WORD, ids=[f"{la}:{term}" for _c, la, term in MULTI_WORD])
def test_the_words_of_a_term_one_by_one_are_not_the_term(code, language, term):
    """ "chest" or "pain" alone, "respirar" alone: none names chest pain or breathing trouble."""
    words = normalise(term).rstrip("*").split()
    for word in words:
        if not _a_term_itself(word):  # e.g. "clot" in "blood clot" is a term of its own
            assert red_flags(word) == (), word


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("I was wheezing all night", ("breathing_trouble",)),
        ("a bit wheezy", ("breathing_trouble",)),
        ("sibilancias", ("breathing_trouble",)),
        ("Chest pains on and off", ("chest_pain",)),
        ("palpitations since the infusion", ("fast_heartbeat",)),
        ("palpitaciones", ("fast_heartbeat",)),
        ("she had two seizures", ("collapse",)),
        ("collapsed in the bathroom", ("collapse",)),
        ("He tenido convulsiones", ("collapse",)),
        ("my eyes look jaundiced", ("yellow_skin_eyes",)),
        ("Vómitos toda la noche", ("vomiting",)),
        ("estoy muy somnolienta", ("drowsiness",)),
        ("está desorientado", ("sudden_confusion",)),
        ("slurring my words", ("trouble_speaking",)),
        ("my face is drooping", ("face_droop",)),
        ("swollen lips", ("throat_swelling",)),
        ("light-headed when I stand", ("faint_collapse",)),
        ("I CAN’T BREATHE", ("breathing_trouble",)),
        ("no puedo respirar bien", ("breathing_trouble",)),
        ("NO PUEDO RESPIRAR", ("breathing_trouble",)),
        ("Perdí el conocimiento", ("collapse",)),
        ("perdi el conocimiento", ("collapse",)),
        ("opresion en el pecho", ("chest_pain",)),
        ("Labios morados", ("blue_lips",)),
        ("labios azules", ("blue_lips",)),
        ("El peor dolor de cabeza de mi vida", ("headache_stiff_neck",)),
        ("worst headache of my life", ("headache_stiff_neck",)),
        ("casi no orino", ("less_urine",)),
        ("hardly peeing", ("less_urine",)),
        ("ya no veo bien de un ojo", ("vision_loss",)),
        ("pierna hinchada y dolor en la pantorrilla", ("painful_swollen_limb",)),
        ("piernas hinchadas", ("swelling_legs_face",)),  # both legs: fluid, not a clot
        ("swollen leg", ("painful_swollen_limb",)),
        ("swollen legs", ("swelling_legs_face",)),
    ],
)
def test_examples_as_patients_write_them(text, expected):
    assert red_flags(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # The longest mention wins: nearly fainting is feeling faint, not fainting.
        ("I nearly fainted", ("faint_collapse",)),
        ("almost passed out at the shop", ("faint_collapse",)),
        ("casi me desmayo", ("faint_collapse",)),
        ("I fainted", ("collapse",)),
        ("passed out", ("collapse",)),
        ("I collapsed after my vein collapsed", ("collapse",)),  # a harmless phrase hides only its own words
        # Words that say the opposite of a denial.
        ("didn't stop vomiting all night", ("vomiting",)),
        ("no paro de vomitar", ("vomiting",)),
        ("no deja de vomitar", ("vomiting",)),
        ("not sure, but short of breath", ("breathing_trouble",)),
        ("I'm not sure if it's chest pain", ("chest_pain",)),
        ("no sé si es normal pero me falta el aire", ("breathing_trouble",)),
        # A clause break ends a denial.
        ("No fever, but my chest hurts", ("chest_pain",)),
        ("No, I have chest pain", ("chest_pain",)),
        ("Sin fiebre. Me duele el pecho", ("chest_pain",)),
        ("sin embargo me duele el pecho", ("chest_pain",)),
        # Denials.
        ("no chest pain", ()),
        ("No chest pain, no dizziness", ()),
        ("sin dolor de pecho", ()),
        ("never short of breath", ()),
        ("nunca me falta el aire", ()),
        ("I haven't had any chest pain", ()),
        ("ni fiebre ni dolor de pecho", ()),
        ("ya no me duele el pecho", ()),
        ("no longer dizzy", ()),
        ("without hives", ()),
        ("no orino muy poco", ()),
    ],
)
def test_overlaps_denials_and_clause_breaks(text, expected):
    assert red_flags(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "my chest feels better",
        "I can breathe fine",
        "respiro bien",
        "Breathing is fine today, headache gone",
        "Felt tired and a bit sick after the infusion",
        "Estoy cansada y me duele un poco la cabeza",
        "crushing fatigue all day",  # a common way to describe MS fatigue
        "I can't see the nurse until Monday",
        "my legs feel weak as usual",
        "the archives of my reports",
        "I changed my clothes",
        "tengo frío y escalofríos",
        "dolor muscular en las piernas",
        "Pain in my arm where the cannula was",
        "Picor en la piel",
        "My headache was bad but it's gone",
        "",
        "   ",
        "!!!",
        "My vein collapsed when they put the cannula in",
        "se me ha colapsado la vena? no, la vena colapsada era la otra",
        "No veo la hora de que acabe el tratamiento",
        "There was some confusion about the date of the next infusion",
        "Hubo una confusión con la cita",
        "Had heat stroke last summer",
    ],
)
def test_harmless_sentences_name_no_sign(text):
    assert red_flags(text) == ()
    assert triage.assess([], notes=text).tier is triage.Tier.ROUTINE


@pytest.mark.parametrize("phrase", lexicon.NOT_A_SIGN)
def test_a_phrase_that_names_no_sign_hides_the_term_inside_it(phrase):
    assert red_flags(phrase) == ()
    assert red_flags(f"{phrase}. I fainted") == ("collapse",)


def test_normalise():
    assert normalise("¿No PUEDO respirar? Perdí") == "¿no puedo respirar? perdi"
    assert normalise("Can\u2019t") == "cant"
