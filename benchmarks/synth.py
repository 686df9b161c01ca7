"""Seeded SYNTHETIC qualcode projects for the benchmarks (no real interview data).

Everything here is made up: the transcripts are random English words arranged like an
interview, the codebook is generated, and the coders are simulated.  The point is realistic
*shape and scale* (turns, paragraphs, sentences of varied length, a themed codebook,
several coders who agree to a controlled degree), not realistic content.

Structure of a transcript (one per participant)::

    ---
    participant: P0001
    label: Participant (P0001)
    ...front matter...
    ---
    Interviewer: Question sentence, with words?

    Participant P0001: First paragraph of the answer. Sentences of 3 to 45 words.

    A second paragraph of the same turn.

Codes carry a few topical words; a sentence that truly holds a code contains one of them.
Each simulated coder codes each of a unit's true codes with probability ``1 - p_miss`` and
adds one spurious code with probability ``q_spurious``; most codings span the sentence,
some a part of it, a few run into the next sentence (so coders disagree on units too).

Two ways to materialise a project:

* :func:`write_project` — a real project folder (``codebook.yaml`` written with
  :func:`qualcode.codebook.dump_codebook``, ``interviews/*.md`` with front matter, one
  codings CSV per coder in ``interviews/``), imported by ``Project.sync``;
* :func:`load_into_store` — straight into a :class:`qualcode.store.Store` (documents
  segmented in batches, codings stored with ``Store.add_codings`` in big batches).
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from qualcode.model import Code, Codebook, Coding, CrossCut, ParsedDocument, Participant, Theme

# Common English words (function words first: the Zipf weights make them the most frequent).
COMMON_WORDS = """
the of and to a in that it is was i for on you he be with as by at have are this not but
had his they from she which or we an there her were one do been all their has would will
what if can when so no said who more about up them some could him into its then two out
time like only my did other me your now over just also any after first new very people
year how because work well way even back good see much where day make most think these
over year know take give many those come same still such through must before here while
again never under might last great every thing place long little need should each right
state years found part around small since against another go both things home country
being high old world life end family really often school own city group few house local
problem number public whole fact later point made government question system small change
office money business child side company level program until power help case different
water under market month report line night head law order area large service policy road
official plan process member money meeting community course word force story experience
result issue reason information decision support development rather position period
project lot interest effect view situation study organisation control example agreement
""".split()

# Topical nouns; each code gets a few of them (codes share some, as real codes do).
TOPICAL_WORDS = """
migrant visa permit border quota labour wage contract agency recruiter passport registration
deportation employer inspection trafficking smuggling remittance integration language housing
health insurance pension union strike complaint court police corruption bribe license
sanction fine audit ministry embassy consulate hotline shelter victim witness prosecution
informal seasonal construction agriculture domestic factory transport logistics mining
education diploma training certificate exam skill apprenticeship mentor internship network
family spouse children school kindergarten clinic hospital doctor nurse vaccine quarantine
loan debt bank transfer currency price rent landlord eviction dormitory hostel neighbour
festival religion mosque church volunteer donor grant research survey statistics database
""".split()

INTERVIEWER = "Interviewer"
_ABBREVIATION_LIKE = frozenset(w for w in COMMON_WORDS if len(w) <= 2 or w in ("no", "may", "mar", "jan"))
ROLES = ("Policy advisor", "NGO officer", "Researcher", "Lawyer", "Employer", "Union organiser")
ORGANISATION_TYPES = ("Government", "NGO", "International organisation", "Academia", "Business")


@dataclass(frozen=True)
class Spec:
    """Size and agreement knobs of a synthetic project."""

    n_interviews: int = 40
    words: int = 2000  # words per transcript (approximate, ±1 sentence)
    long_words: int = 0  # if > 0 the first transcript has this many words instead
    n_codes: int = 60
    n_themes: int = 8
    n_coders: int = 5
    n_codings: int = 20_000  # target over all coders (approximate)
    p_miss: float = 0.15  # a coder misses a true code of a unit with this probability
    q_spurious: float = 0.10  # a coder adds one spurious code to a unit with this probability
    seed: int = 0


@dataclass
class Document:
    name: str
    metadata: dict[str, str]
    body: str  # the normalised document text: offsets refer to it
    sentences: list[tuple[int, int]]  # spans of the sentences we generated (participant turns only)
    paragraph_of: list[int]  # paragraph number of each sentence (sentences of one paragraph run together)


@dataclass
class Synthetic:
    spec: Spec
    codebook: Codebook
    documents: list[Document]
    codings: list[Coding] = field(default_factory=list)

    @property
    def coders(self) -> list[str]:
        return [coder_name(i) for i in range(self.spec.n_coders)]

    @property
    def n_words(self) -> int:
        return sum(len(d.body.split()) for d in self.documents)


def coder_name(i: int) -> str:
    return f"coder{i + 1}"


# ------------------------------------------------------------------------------ codebook
def make_codebook(n_codes: int, n_themes: int, rng: np.random.Generator) -> tuple[Codebook, list[list[str]]]:
    """A codebook of ``n_codes`` codes in ``n_themes`` main themes (each with two sub-themes)
    and two cross-cutting themes; returns it with each code's topical words."""
    themes: dict[str, Theme] = {}
    codes: dict[str, Code] = {}
    topical: list[list[str]] = []
    sub_ids: list[str] = []
    for t in range(n_themes):
        tid = f"theme_{t + 1:02d}"
        colour = "#{:02x}{:02x}{:02x}".format(*rng.integers(40, 220, size=3))
        themes[tid] = Theme(
            tid,
            f"Theme {t + 1}: {TOPICAL_WORDS[t % len(TOPICAL_WORDS)].title()} issues",
            None,
            f"Synthetic main theme {t + 1}.",
            colour,
        )
        for s in range(2):
            sid = f"{tid}_{'ab'[s]}"
            themes[sid] = Theme(sid, f"Sub-theme {t + 1}{'ab'[s]}", tid, "")
            sub_ids.append(sid)
    for c in range(n_codes):
        words = [TOPICAL_WORDS[(3 * c + j) % len(TOPICAL_WORDS)] for j in range(3)]
        cid = f"c{c + 1:03d}_{words[0]}"
        codes[cid] = Code(
            cid,
            " ".join(w.title() for w in words[:2]) + f" ({c + 1})",
            sub_ids[c % len(sub_ids)],
            description=f"Talk about {', '.join(words)}.",
            patterns=(words[0],),
        )
        topical.append(words)
    ids = list(codes)
    cross = {
        "cross_regulation": CrossCut("cross_regulation", "Regulation gaps", tuple(ids[::7][:12])),
        "cross_rights": CrossCut("cross_rights", "Rights of migrants", tuple(ids[3::11][:10])),
    }
    return Codebook(themes=themes, codes=codes, cross_cutting=cross, title="Synthetic benchmark project"), topical


# ------------------------------------------------------------------------------ text
def _word_weights(n: int) -> np.ndarray:
    w = 1.0 / (np.arange(n) + 3.0)  # Zipf-like
    return w / w.sum()


class _Writer:
    """Builds a body text piece by piece and remembers code-point offsets."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.length = 0

    def add(self, piece: str) -> tuple[int, int]:
        start = self.length
        self.parts.append(piece)
        self.length += len(piece)
        return start, self.length

    def text(self) -> str:
        return "".join(self.parts)


def _sentence(words: list[str], end: str, rng: np.random.Generator) -> str:
    if words[-1] in _ABBREVIATION_LIKE:  # "a." or "no." would read as an abbreviation, not a sentence end
        words = words[:-1] + ["today"]
    if len(words) > 8 and rng.random() < 0.4:  # a comma now and then
        k = int(rng.integers(3, len(words) - 3))
        words = words[:k] + [words[k] + ","] + words[k + 1 :]
    s = " ".join(words)
    return s[:1].upper() + s[1:] + end


def make_document(
    index: int,
    n_words: int,
    topical: list[list[str]],
    rng: np.random.Generator,
    code_weights: np.ndarray,
    coded_share: float,
    extra_codes: float,
) -> tuple[Document, list[list[int]]]:
    """One transcript and, for each participant sentence, its true code indices."""
    pid = f"P{index + 1:04d}"
    speaker = f"Participant {pid}"
    vocab = COMMON_WORDS
    pool = rng.choice(len(vocab), size=n_words + 200, p=_word_weights(len(vocab)))
    cursor = 0
    out = _Writer()
    sentences: list[tuple[int, int]] = []
    paragraph_of: list[int] = []
    truth: list[list[int]] = []
    paragraph = 0
    n_codes = len(topical)

    def take(n: int) -> list[str]:
        nonlocal cursor, pool
        if cursor + n > len(pool):
            pool = np.concatenate([pool, rng.choice(len(vocab), size=n + 1000, p=_word_weights(len(vocab)))])
        words = [vocab[i] for i in pool[cursor : cursor + n]]
        cursor += n
        return words

    written = 0
    first_turn = True
    while written < n_words:
        # Interviewer: one or two short sentences, the last a question.
        q = []
        for _ in range(int(rng.integers(1, 3))):
            n = int(np.clip(rng.lognormal(2.2, 0.35), 4, 20))
            q.append(_sentence(take(n), ".", rng))
            written += n
        q[-1] = q[-1][:-1] + "?"
        out.add(("" if first_turn else "\n\n") + f"{INTERVIEWER}: " + " ".join(q))
        first_turn = False
        # Participant: one to three paragraphs of two to six sentences.
        for p in range(int(rng.integers(1, 4))):
            out.add("\n\n" + (f"{speaker}: " if p == 0 else ""))
            paragraph += 1
            n_sent = int(rng.integers(2, 7))
            for k in range(n_sent):
                n = int(np.clip(rng.lognormal(2.6, 0.5), 3, 45))
                words = take(n)
                codes: list[int] = []
                if rng.random() < coded_share:
                    n_true = min(1 + int(rng.poisson(extra_codes)), n_codes)
                    codes = sorted(set(rng.choice(n_codes, size=n_true, replace=False, p=code_weights).tolist()))
                    for c in codes:  # plant a topical word of each true code
                        words[int(rng.integers(0, len(words)))] = topical[c][int(rng.integers(0, 3))]
                text = _sentence(words, ".", rng)
                span = out.add(text if k == 0 else " " + text)
                if k:
                    span = (span[0] + 1, span[1])
                sentences.append(span)
                paragraph_of.append(paragraph)
                truth.append(codes)
                written += n
            if written >= n_words:
                break
    metadata = {
        "participant": pid,
        "label": f"Participant ({pid})",
        "role": ROLES[index % len(ROLES)],
        "organisation_type": ORGANISATION_TYPES[index % len(ORGANISATION_TYPES)],
        "date": f"2024-{1 + index % 12:02d}-{1 + index % 28:02d}",
        "mode": "Zoom" if index % 3 else "In person",
        "language": "en",
    }
    return Document(f"interview_{pid}", metadata, out.text(), sentences, paragraph_of), truth


# ------------------------------------------------------------------------------ coders
def simulate_codings(
    doc: Document,
    truth: list[list[int]],
    code_ids: list[str],
    n_coders: int,
    p_miss: float,
    q_spurious: float,
    rng: np.random.Generator,
) -> list[Coding]:
    """Each coder codes each true code of a unit with prob 1-p, adds a spurious one with prob q."""
    out: list[Coding] = []
    n_codes = len(code_ids)
    text = doc.body
    for i, codes in enumerate(truth):
        if not codes:
            continue
        start, end = doc.sentences[i]
        for k in range(n_coders):
            chosen = [c for c in codes if rng.random() >= p_miss]
            if rng.random() < q_spurious and len(codes) < n_codes:
                spurious = int(rng.integers(0, n_codes))
                while spurious in codes:
                    spurious = int(rng.integers(0, n_codes))
                chosen.append(spurious)
            for c in chosen:
                s, e = start, end
                roll = rng.random()
                if roll < 0.25:  # only a part of the sentence: drop the first words
                    cut = text.find(" ", s, e)
                    if cut > 0 and e - cut > 10:
                        s = cut + 1
                elif roll < 0.33 and i + 1 < len(doc.sentences) and doc.paragraph_of[i + 1] == doc.paragraph_of[i]:
                    e = doc.sentences[i + 1][1]  # runs into the next sentence
                out.append(Coding(doc.name, s, e, code_ids[c], coder_name(k), "", "imported"))
    return out


def generate(spec: Spec) -> Synthetic:
    """The whole synthetic project in memory (deterministic for a given spec)."""
    rng = np.random.default_rng(spec.seed)
    codebook, topical = make_codebook(spec.n_codes, spec.n_themes, rng)
    code_ids = list(codebook.codes)
    code_weights = _word_weights(spec.n_codes)[rng.permutation(spec.n_codes)]
    code_weights /= code_weights.sum()
    # Calibrate how many sentences carry codes (and how many codes) to hit n_codings:
    # ~0.9 participant sentences per 15 words; each coded unit yields K·((1+λ)(1−p)+q) codings.
    sizes = [spec.words] * spec.n_interviews
    if spec.long_words and sizes:
        sizes[0] = spec.long_words
    est_units = 0.95 * sum(sizes) / 15.5  # participant sentences (calibrated on the generator)
    per_unit = spec.n_codings / max(est_units, 1.0)
    k = spec.n_coders
    base = k * ((1.0 + 0.35) * (1 - spec.p_miss) + spec.q_spurious)
    if per_unit <= base:
        coded_share, extra = per_unit / base, 0.35
    else:
        coded_share, extra = 1.0, max((per_unit / k - spec.q_spurious) / (1 - spec.p_miss) - 1.0, 0.0)
    docs: list[Document] = []
    codings: list[Coding] = []
    for i, n_words in enumerate(sizes):
        doc, truth = make_document(i, n_words, topical, rng, code_weights, coded_share, extra)
        docs.append(doc)
        codings += simulate_codings(doc, truth, code_ids, spec.n_coders, spec.p_miss, spec.q_spurious, rng)
    return Synthetic(spec, codebook, docs, codings)


# ------------------------------------------------------------------------------ output
def front_matter(metadata: dict[str, str]) -> str:
    lines = [f"{k}: {v}" for k, v in metadata.items()]
    return "---\n" + "\n".join(lines) + "\n---\n"


def write_project(synthetic: Synthetic, root: Path | str) -> Path:
    """A real project folder: codebook.yaml, interviews/*.md, interviews/codings_<coder>.csv."""
    from qualcode.codebook import dump_codebook

    root = Path(root)
    interviews = root / "interviews"
    interviews.mkdir(parents=True, exist_ok=True)
    (root / ".qualcode").mkdir(exist_ok=True)
    header = "# SYNTHETIC benchmark codebook generated by benchmarks/synth.py (not real data).\n"
    (root / "codebook.yaml").write_text(header + dump_codebook(synthetic.codebook), encoding="utf-8")
    for doc in synthetic.documents:
        (interviews / f"{doc.name}.md").write_text(front_matter(doc.metadata) + doc.body + "\n", encoding="utf-8")
    bodies = {d.name: d.body for d in synthetic.documents}
    for coder in synthetic.coders:
        with open(interviews / f"codings_{coder}.csv", "w", encoding="utf-8", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(["document", "start", "end", "quote", "code", "annotator", "memo"])
            for c in synthetic.codings:
                if c.annotator == coder:
                    w.writerow(
                        [c.document, c.start, c.end, bodies[c.document][c.start : c.end], c.code, c.annotator, c.memo]
                    )
    return root


def parsed_documents(synthetic: Synthetic, batch_size: int = 64) -> Iterator[ParsedDocument]:
    """ParsedDocuments with segments (the importers' segmentation, without reading files)."""
    from qualcode.segment import segment_many

    for lo in range(0, len(synthetic.documents), batch_size):
        chunk = synthetic.documents[lo : lo + batch_size]
        segments = segment_many([d.body for d in chunk], "en")
        for d, segs in zip(chunk, segments):
            meta = {k: v for k, v in d.metadata.items() if k not in ("participant", "label", "language")}
            yield ParsedDocument(
                d.name,
                d.body,
                Participant(d.metadata["participant"], d.metadata["label"], meta),
                "en",
                dict(d.metadata),
                segs,
                [],
                f"interviews/{d.name}.md",
            )


def load_into_store(synthetic: Synthetic, store: object, batch: int = 50_000) -> None:
    """Store the project directly: codebook, segmented documents, codings in big batches."""
    from qualcode.store import LOCAL_ADMIN

    store.sync_codebook(synthetic.codebook)
    for doc in parsed_documents(synthetic):
        store.upsert_document(LOCAL_ADMIN, doc)
    for lo in range(0, len(synthetic.codings), batch):
        store.add_codings(LOCAL_ADMIN, synthetic.codings[lo : lo + batch])


__all__ = [
    "Spec",
    "Synthetic",
    "Document",
    "generate",
    "make_codebook",
    "write_project",
    "load_into_store",
    "parsed_documents",
    "coder_name",
]
