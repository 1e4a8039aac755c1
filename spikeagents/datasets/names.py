r"""Surnames of 18 languages (PyTorch's "NLP From Scratch: classifying names with a character-level
RNN"): download, character encoding, a stratified split, and a real-like generator for offline use.

Files on disk (either works; the folder wins when both are there)::

    <root>/data.zip              the tutorial's archive, sha256-verified (about 2.8 MB)
    <root>/data/names/<Language>.txt    one surname per line, UTF-8 (e.g. the archive unpacked)

Names are folded to ASCII (accents dropped, as the tutorial does) and written with the 58
characters ``a-z A-Z`` ``" .,;'"`` and ``_`` (any other character). A name becomes the index
sequence ``[L]`` with values ``1..58``; 0 is the padding index, so a batch is ``[B, L_max]``.

Example::

    names = load_surnames("data/surnames")          # {"Arabic": [...], ..., "Vietnamese": [...]}
    train, test = stratified_split(names, 0.2, seed=0)   # lists of (name, language index)
    fake = synthetic_surnames(seed=0)                  # same languages and sizes, no download
"""

from __future__ import annotations

import string
import unicodedata
import zipfile
from collections.abc import Iterable, Mapping
from pathlib import Path

import numpy as np

from spikeagents.datasets.download import Resource, fetch

__all__ = [
    "ALPHABET",
    "PAD_INDEX",
    "LANGUAGES",
    "NAMES_URLS",
    "NAMES_SHA256",
    "to_ascii",
    "encode_name",
    "read_names_folder",
    "load_surnames",
    "write_names_folder",
    "stratified_split",
    "synthetic_surnames",
]

#: the 58 input characters (the tutorial's ``ascii_letters + " .,;'" + "_"``); index = 1 + pos
ALPHABET = string.ascii_letters + " .,;'" + "_"
PAD_INDEX = 0
_UNKNOWN = "_"
_INDEX = {ch: i + 1 for i, ch in enumerate(ALPHABET)}

#: the 18 languages of the tutorial, in file order
LANGUAGES = (
    "Arabic", "Chinese", "Czech", "Dutch", "English", "French", "German", "Greek", "Irish",
    "Italian", "Japanese", "Korean", "Polish", "Portuguese", "Russian", "Scottish", "Spanish",
    "Vietnamese",
)  # fmt: skip

NAMES_URLS = ("https://download.pytorch.org/tutorial/data.zip",)
#: published by the PyTorch tutorials (.jenkins/download_data.py)
NAMES_SHA256 = "fb317e80248faeb62dc25ef3390ae24ca34b94e276bbc5141fd8862c2200bff5"
_PAGE = "https://pytorch.org/tutorials/intermediate/char_rnn_classification_tutorial.html"


def to_ascii(name: str) -> str:
    """Fold ``name`` to the alphabet: accents dropped (NFD), other characters -> ``_``."""
    folded = "".join(
        ch for ch in unicodedata.normalize("NFD", name) if unicodedata.category(ch) != "Mn"
    )
    return "".join(ch if ch in _INDEX else _UNKNOWN for ch in folded)


def encode_name(name: str) -> list[int]:
    """Character indices ``1..58`` of ``to_ascii(name)`` (an empty name raises ValueError)."""
    text = to_ascii(name.strip())
    if not text:
        raise ValueError(f"cannot encode an empty name: {name!r}")
    return [_INDEX[ch] for ch in text]


def _parse(lines: Iterable[str]) -> list[str]:
    return [to_ascii(s.strip()) for s in lines if s.strip()]


def read_names_folder(folder: str | Path) -> dict[str, list[str]]:
    """``{language: names}`` from ``folder/<Language>.txt`` (sorted by language)."""
    files = sorted(Path(folder).glob("*.txt"))
    if not files:
        raise FileNotFoundError(f"{folder}: no <Language>.txt files")
    return {f.stem: _parse(f.read_text(encoding="utf-8").splitlines()) for f in files}


def load_surnames(
    root: str | Path, download: bool = True, progress: bool = False
) -> dict[str, list[str]]:
    """``{language: names}`` from ``root/data/names/`` or the verified ``root/data.zip``
    (downloaded when missing; read in place, nothing extracted).

    :raises DatasetUnavailableError: neither is there and the download is off or fails.
    """
    root = Path(root)
    folder = root / "data" / "names"
    if folder.is_dir() and any(folder.glob("*.txt")):
        return read_names_folder(folder)
    resource = Resource("data.zip", sha256=NAMES_SHA256, urls=NAMES_URLS, page=_PAGE)
    archive = fetch(resource, root, download, progress)
    out: dict[str, list[str]] = {}
    with zipfile.ZipFile(archive) as zf:
        for member in sorted(zf.namelist()):
            parts = member.split("/")
            if len(parts) == 3 and parts[:2] == ["data", "names"] and parts[2].endswith(".txt"):
                text = zf.read(member).decode("utf-8")
                out[parts[2][: -len(".txt")]] = _parse(text.splitlines())
    if not out:
        raise ValueError(f"{archive}: holds no data/names/*.txt files")
    return out


def write_names_folder(root: str | Path, names: Mapping[str, Iterable[str]]) -> Path:
    """Write ``names`` as ``root/data/names/<Language>.txt`` (the layout :func:`load_surnames`
    reads); returns that folder."""
    folder = Path(root) / "data" / "names"
    folder.mkdir(parents=True, exist_ok=True)
    for language, items in names.items():
        (folder / f"{language}.txt").write_text("\n".join(items) + "\n", encoding="utf-8")
    return folder


def stratified_split(
    names: Mapping[str, Iterable[str]],
    test_fraction: float = 0.2,
    seed: int = 0,
    dedupe: bool = True,
) -> tuple[list[tuple[str, int]], list[tuple[str, int]]]:
    """Shuffle each language's names (seeded) and put ``test_fraction`` of them in the test set.

    Every language with two or more names has at least one name on each side. Languages are
    indexed in sorted order.

    :param dedupe: drop repeated names within a language first (the tutorial's Arabic file
        repeats 108 names to 2000 lines; left in, they leak from train to test).
    :return: ``(train, test)``, lists of ``(name, language index)``.
    """
    if not 0.0 < test_fraction < 1.0:
        raise ValueError(f"test_fraction must be in (0, 1), got {test_fraction}")
    rng = np.random.default_rng(seed)
    train: list[tuple[str, int]] = []
    test: list[tuple[str, int]] = []
    for label, language in enumerate(sorted(names)):
        items = list(dict.fromkeys(names[language])) if dedupe else list(names[language])
        order = rng.permutation(len(items))
        n_test = int(round(test_fraction * len(items)))
        if len(items) >= 2:
            n_test = min(max(n_test, 1), len(items) - 1)
        test += [(items[i], label) for i in order[:n_test]]
        train += [(items[i], label) for i in order[n_test:]]
    return train, test


# -- a real-like generator ---------------------------------------------------------------------
# Per language: (names in the tutorial's files after de-duplication, syllables, endings,
# prefixes, syllables per name). Related languages share sounds, and a share of each language's
# names is borrowed from a neighbour (_NEIGHBOURS), as in the real files (English and Scottish
# overlap, Chinese and Korean share syllables, ...), so that the task is not trivially separable.
_SPEC: dict[str, tuple[int, str, str, str, tuple[int, int]]] = {
    "Arabic": (108, "ha dd kha bou na sab bagh tou ma lo as sa ka ram sham ta far rah naj jar qa "
               "zai mal awi nas sal kar", "ad oury ar i an a eh ah ous aj awi ry", "", (1, 2)),
    "Chinese": (268, "zh ch sh x q j b p m f d t l g h z c s y w", "ang eng ong ao ou ai ei an en "
                "in un ui iu ia ie uo ing iang uang ian uan u i", "", (1, 1)),
    "Czech": (519, "no vak dvo rak svo bo da ko pro ha ji kr ma se vo ze chal hor pav cer kuch "
              "bl zd str vl pr", "ova ek ik ak y ar ka ny sky cek ec al", "", (1, 2)),
    "Dutch": (297, "jan hoe kst vr dijk berg hout gr bo kamp meer veld ber sma ui oo aa de",
              "sen s man ink dijk hof kamp veld stra ma er hout", "Van |Van der |De ", (1, 2)),
    "English": (3668, "ash brad chap ham wood bur ford ton will rob john smith wal hart field lin "
                "kin ley white black moor ward haw stan cr dar gre lock wick bar pen mor per good",
                "son ton ley er ford field wood s well man worth ham ing by ridge es", "", (1, 2)),
    "French": (277, "beau lau mou bl chev dup font gir lef mar ch pier roux vaill rou gau ber tier "
               "clou", "eau ier et ot and ard elle ault aux ais ois e", "De |Le ", (1, 2)),
    "German": (724, "schm mul wag beck hof man bau berg stein wald feld kr lang hein rich wolf "
               "fisch sch kel zimm hart vog kl braun neu", "er mann berg stein feld hardt ler ner "
               "ling bach haus", "", (1, 2)),
    "Greek": (203, "pap ado gian kon stan nik dim geor chris kar pou ath ana mav ro ka li the vla",
              "opoulos akis idis ou as is os ides ellis akos", "", (1, 3)),
    "Irish": (232, "bri ain sull iv con nor dough ert kel ly mur phy ga lla brenn fitz reil dono "
              "hue", "an y ey ghue agh ain ell", "O'|Mac|Mc", (1, 2)),
    "Italian": (709, "ros bian col ferr ric mar tin gall bern car sa lu vi mo fa pe gio chi cci zz",
                "i o ini etti elli ucci one ano ato ella a otti", "", (1, 3)),
    "Japanese": (991, "ka ki ku ke ko sa shi su se so ta chi tsu te to na ni no ha hi fu ho ma mi "
                 "mu mo ya yu yo ra ri ru wa da ga go ji be", "moto yama kawa da ta ki shima mura "
                 "hara no saki uchi ra", "", (1, 3)),
    "Korean": (94, "k g ch j h p b s y r m n kw hw ry", "im ang ong ung an ee oo eon eong un oh ok "
               "uk ah ae yun", "", (1, 1)),
    "Polish": (139, "szy cze wro grz kow dzie bro kra jab wal zal mi le no pi sob ry ja",
               "ski ska wicz czyk ak ek owski ewski iak", "", (1, 2)),
    "Portuguese": (74, "gar mar rod ol fer gon per san ram tor cas vel na ro be do lh nh",
                   "es eira ao inho a o ira elo", "", (1, 2)),
    "Russian": (9408, "ba vo go da ze ka lo mi no pa ro se to fe kha che shi zhu ya yu bel kor mar "
                "vol tur gor dub lav pet sol kra pro zve tro gri smir kuz nik ole iva mak sha bor "
                "zai ryb", "ov ev in sky skiy enko ovich ichev kin shin aev uk yuk tsev nikov ov "
                "in ev", "", (1, 3)),
    "Scottish": (100, "mac camp bell rob stew art ross mur ray fras gr dun kirk lach an",
                 "son ie ay art lan ald ish ell ach", "Mac|Mc", (1, 2)),
    "Spanish": (298, "gar mar rod lop fer gon per san ram tor cas vel na ro be do la mo cue que ji",
                "ez es o a ero ado illa ana", "", (1, 2)),
    "Vietnamese": (73, "ng nh tr ph th kh d h v b l qu x gi", "uyen an e am oang u ang ui o uong "
                   "y inh oc ieu", "", (1, 1)),
}  # fmt: skip
_NEIGHBOURS = {
    "English": ("Scottish", "Irish", "German"), "Scottish": ("English", "Irish"),
    "Irish": ("English", "Scottish"), "Spanish": ("Portuguese", "Italian"),
    "Portuguese": ("Spanish", "Italian"), "Italian": ("Spanish", "Portuguese"),
    "Chinese": ("Korean", "Vietnamese"), "Korean": ("Chinese",), "Vietnamese": ("Chinese",),
    "German": ("Dutch", "Czech"), "Dutch": ("German",), "Czech": ("Polish", "Russian"),
    "Polish": ("Czech", "Russian"), "Russian": ("Czech", "Polish", "English"),
    "French": ("English", "Italian"), "Greek": ("Russian",), "Japanese": ("Korean",),
    "Arabic": ("English",),
}  # fmt: skip


def _make_name(language: str, rng: np.random.Generator) -> str:
    _, syllables, endings, prefixes, (low, high) = _SPEC[language]
    syl, end, pre = syllables.split(), endings.split(), prefixes.split("|")
    k = int(rng.integers(low, high + 1))
    name = "".join(syl[i] for i in rng.integers(len(syl), size=k)) + end[rng.integers(len(end))]
    prefix = pre[rng.integers(len(pre))] if prefixes and rng.random() < 0.35 else ""
    return prefix + name[0].upper() + name[1:]


def synthetic_surnames(
    seed: int = 0, scale: float = 1.0, borrow: float = 0.12
) -> dict[str, list[str]]:
    """A real-like surname set: the 18 languages with the real files' sizes (times ``scale``,
    at least 4 each), unique names within a language, made from each language's syllables and
    endings; a share ``borrow`` of each language's names comes from a neighbouring language."""
    rng = np.random.default_rng(seed)
    out: dict[str, list[str]] = {}
    for language in LANGUAGES:
        wanted = max(4, int(round(_SPEC[language][0] * scale)))
        names: dict[str, None] = {}
        for _ in range(wanted * 50):
            if len(names) >= wanted:
                break
            source = language
            if rng.random() < borrow:
                source = str(rng.choice(_NEIGHBOURS[language]))
            names[_make_name(source, rng)] = None
        out[language] = list(names)
    return out
