"""The default engine: RapidOCR 3.x (PP-OCR recognition model on onnxruntime, bundled in the wheel).

Detection and angle classification are off: the form's layout says where each field is, so
each field image goes straight to the recognition model. Its output (a probability per
character of the model's dictionary at every time step) is decoded under the field's
constraint: only the characters the field allows (after mapping look-alikes: 一 for ー in
katakana, O for 0 in digits) can win a step, which is what makes a digits-only field never
return a letter. Fields that allow anything are decoded freely, then normalised.
"""

from __future__ import annotations

import threading

import numpy as np
from PIL import Image

from .base import EngineUnavailable, FieldSpec, Reading
from .normalise import DIGIT_LOOKALIKES, KATAKANA_LOOKALIKES, normalise
from .preprocess import prepare, split_words

# Characters of the model's dictionary that stand for an allowed character in a constrained field.
_HIRAGANA = "".join(chr(c) for c in range(0x3041, 0x3097))


class RapidOCREngine:
    name = "rapidocr"

    def __init__(self, *, threads: int | None = None, height: int = 48, params: dict | None = None):
        """``params``: more RapidOCR parameters, e.g. ``{"EngineConfig.onnxruntime.use_cuda": True}``
        on a machine with a GPU and onnxruntime-gpu (docs/ocr.md)."""
        self.threads = threads
        self.params = dict(params or {})
        self.height = height
        self._lock = threading.Lock()
        self._rec = None
        self._masks: dict[str | None, tuple[np.ndarray, list[str]]] = {}

    # -- loading --
    def _recogniser(self):
        if self._rec is None:
            with self._lock:
                if self._rec is None:
                    try:
                        from rapidocr import RapidOCR
                    except ImportError as exc:  # pragma: no cover - installed from requirements.lock
                        raise EngineUnavailable("rapidocr is not installed") from exc
                    params = {"Global.log_level": "warning", "Global.use_det": False, "Global.use_cls": False}
                    if self.threads:
                        params["EngineConfig.onnxruntime.intra_op_num_threads"] = self.threads
                        params["EngineConfig.onnxruntime.inter_op_num_threads"] = 1
                    ocr = RapidOCR(params={**params, **self.params})
                    # The bundled model loads from the wheel; nothing is downloaded.
                    self._rec = ocr._load_rec_model()
        return self._rec

    @property
    def characters(self) -> list[str]:
        return self._recogniser().postprocess_op.character

    def _mask(self, spec: FieldSpec) -> tuple[np.ndarray | None, list[str]]:
        """Which dictionary entries may win a step in this field, and what each one means there."""
        key = spec.allowed_chars
        if key is None:
            return None, self.characters
        if key not in self._masks:
            chars = self.characters
            meaning = list(chars)
            allowed = np.zeros(len(chars), dtype=bool)
            allowed[0] = True  # CTC blank
            table = DIGIT_LOOKALIKES if spec.is_digits else KATAKANA_LOOKALIKES if spec.is_katakana else {}
            for i, ch in enumerate(chars[1:], start=1):
                mapped = ch
                if spec.is_katakana and ch in _HIRAGANA:
                    mapped = chr(ord(ch) + 0x60)
                mapped = mapped.translate(table) if table else mapped
                if ch == " " and " " not in key:
                    continue
                if len(mapped) == 1 and mapped in key:
                    allowed[i] = True
                    meaning[i] = mapped
            self._masks[key] = (allowed, meaning)
        return self._masks[key]

    # -- recognising --
    def _probabilities(self, images: list[np.ndarray]) -> list[np.ndarray]:
        rec = self._recogniser()
        _, img_h, img_w = rec.rec_image_shape
        out = []
        for grey in images:
            bgr = np.repeat(grey[:, :, None], 3, axis=2)
            ratio = max(img_w / img_h, bgr.shape[1] / bgr.shape[0])
            batch = rec.resize_norm_img(bgr, ratio)[np.newaxis, :].astype(np.float32)
            out.append(rec.session(batch)[0])
        return out

    @staticmethod
    def _decode(probs: np.ndarray, allowed: np.ndarray | None, meaning: list[str]) -> tuple[str, float, list]:
        """Greedy CTC decoding restricted to ``allowed``; returns text, mean confidence, per-char steps."""
        p = probs if allowed is None else np.where(allowed[None, :], probs, 0.0)
        best = p.argmax(axis=1)
        text, confs, steps = [], [], []
        prev = -1
        for t, idx in enumerate(best):
            if idx != prev and idx != 0:
                text.append(meaning[idx])
                confs.append(float(p[t, idx]))
                steps.append(t)
            prev = idx
        score = float(np.mean(confs)) if confs else 0.0
        return "".join(text), score, list(zip(steps, confs, strict=True))

    def _alternatives(self, probs, allowed, meaning, text, steps, spec) -> list[str]:
        """The reading with its least sure character swapped for that step's runner-up."""
        alts: list[str] = []
        if not steps:
            return alts
        p = probs if allowed is None else np.where(allowed[None, :], probs, 0.0)
        pos, (t, _) = min(enumerate(steps), key=lambda item: item[1][1])
        order = np.argsort(p[t])[::-1]
        for idx in order[:4]:
            if idx == 0 or p[t, idx] <= 0:
                continue
            candidate = text[:pos] + meaning[idx] + text[pos + 1 :]
            candidate = normalise(candidate, spec)
            if candidate != text and candidate not in alts:
                alts.append(candidate)
        return alts[:3]

    def recognise(self, image: Image.Image, spec: FieldSpec) -> Reading:
        return self.recognise_many([(image, spec)])[0]

    def recognise_many(self, items: list[tuple[Image.Image, FieldSpec]]) -> list[Reading]:
        readings = []
        for image, spec in items:
            grey = prepare(image, boxed=spec.boxed)
            if spec.boxed and spec.allowed_chars and " " in spec.allowed_chars:
                pieces = split_words(
                    grey, pitch=image.width / max(1, spec.max_length or 1)
                )  # a blank box: a space
            else:
                pieces = [grey]
            parts = [self._read(pr, spec) for pr in self._probabilities(pieces)]
            if len(parts) == 1:
                readings.append(parts[0])
                continue
            text = normalise(" ".join(p.text for p in parts), spec)
            score = min(p.score for p in parts)
            alternatives = [normalise("".join(p.text for p in parts), spec)]
            readings.append(Reading(text=text, score=score, alternatives=alternatives, engine=self.name))
        return readings

    def _read(self, pr: np.ndarray, spec: FieldSpec) -> Reading:
        allowed, meaning = self._mask(spec)
        raw, score, steps = self._decode(pr, allowed, meaning)
        text = normalise(raw, spec)
        alternatives = self._alternatives(pr, allowed, meaning, raw, steps, spec)
        if allowed is not None:
            free, _, _ = self._decode(pr, None, self.characters)
            free = normalise(free, spec)
            if free and free != text and free not in alternatives:
                alternatives.append(free)
        return Reading(text=text, score=round(score, 4), alternatives=alternatives, engine=self.name)
