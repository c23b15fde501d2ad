"""Benchmark (run on demand): which OCR engine reads our scans best, and how fast.

    .venv/bin/python -m benchmarks.ocr_accuracy [--engines rapidocr,tesseract] [--pages 2]
    .venv/bin/python -m benchmarks.ocr_accuracy --long 200    # peak memory of a long scan

Renders the sample corpus (simplified and traditional files, our own writing) to A4 pages
at 150 dpi with a CJK font, clean and as a scan (turned 0.7 degrees, blurred, noisy), and
recognises each page with every engine. Reports, per engine and script:

- accuracy: 1 - edit distance / length over the characters as drawn (whitespace left out);
- accuracy_simp: the same after both sides go through the pipeline's own normalisation
  (OpenCC t2s and full-width folding), which is the text extraction works on;
- seconds per page (wall clock, this machine), and the install size of the engine.

``--long N`` builds an N-page image-only PDF and runs ``jihua batch`` on it in a fresh
process, reporting seconds per page and the peak memory of the process tree in the first
tenth of the run and over all of it (pages are rendered and recognised one at a time, so
the peak should not grow with N).
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pipeline.normalize import fold, to_simplified  # noqa: E402
from tests.scans import accuracy, degrade, pages_of, paragraphs, sample_text  # noqa: E402

FILES = {"simplified": ["plan_simplified.txt", "report_simplified.txt"],
         "traditional": ["plan_traditional_gb18030.txt", "stacked_traditional.txt"]}
TESS_LANG = {"simplified": "chi_sim", "traditional": "chi_tra"}


def rapidocr(path: Path, script: str) -> str:
    from rapidocr_onnxruntime import RapidOCR

    engine = _cache.setdefault("rapidocr", None) or RapidOCR()
    _cache["rapidocr"] = engine
    result, _ = engine(str(path))
    return "\n".join(r[1] for r in result or [])


def tesseract(path: Path, script: str) -> str:
    out = subprocess.run(["tesseract", str(path), "-", "-l", TESS_LANG[script], "--psm", "6"],
                         capture_output=True, text=True, check=True)
    return out.stdout


def tesseract_auto(path: Path, script: str) -> str:
    """What ingest runs: the script chosen by confidence, page layout analysis on (psm 3)."""
    from pipeline import ocr

    return ocr.layout([ocr.recognise_image(path)]).text


_cache: dict[str, object] = {}
ENGINES = {"rapidocr": rapidocr, "tesseract": tesseract_auto, "tesseract-psm6": tesseract}


def install_size(engine: str) -> str:
    def size(p: Path) -> int:
        if p.is_file():
            return p.stat().st_size
        return sum(f.stat().st_size for f in p.rglob("*") if f.is_file())

    if engine == "rapidocr":
        import site

        sp = Path(site.getsitepackages()[0])
        parts = ["rapidocr_onnxruntime", "onnxruntime", "cv2", "opencv_python.libs",
                 "shapely", "shapely.libs", "pyclipper", "pypdfium2_raw", "pypdfium2"]
        total = sum(size(sp / p) for p in parts if (sp / p).exists())
        return f"{total / 2**20:.0f} MiB (wheels: rapidocr-onnxruntime, onnxruntime, " \
               "opencv-python, shapely, pyclipper; pypdfium2 to render)"
    exe = shutil.which("tesseract")
    data = Path("/usr/share/tesseract-ocr/5/tessdata")
    total = sum(size(data / f"{lang}.traineddata") for lang in ("chi_sim", "chi_tra", "eng"))
    return f"{total / 2**20:.0f} MiB traineddata + the tesseract binary ({exe}) and libraries"


def measure(engines: list[str], pages: int) -> list[dict]:
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for script, files in FILES.items():
            drawn = []
            for name in files:
                drawn += pages_of(paragraphs(sample_text(name)), script, furniture=False,
                                  limit=pages)[:pages]
            for condition in ("clean", "scan"):
                images = []
                for i, page in enumerate(drawn):
                    img = page.image if condition == "clean" else degrade(
                        page.image, angle=0.7, blur=0.6, noise=10, seed=i)
                    path = Path(tmp) / f"{script}-{condition}-{i}.png"
                    img.save(path)
                    images.append((path, page.text))
                for engine in engines:
                    acc, acc_simp, seconds, chars = [], [], 0.0, 0
                    for path, ref in images:
                        start = time.perf_counter()
                        hyp = ENGINES[engine](path, script)
                        seconds += time.perf_counter() - start
                        acc.append(accuracy(ref, hyp) * len(ref))
                        acc_simp.append(accuracy(fold(to_simplified(ref)),
                                                 fold(to_simplified(hyp))) * len(ref))
                        chars += len(ref)
                    rows.append({"engine": engine, "script": script, "condition": condition,
                                 "pages": len(images), "chars": chars,
                                 "accuracy": round(sum(acc) / chars, 4),
                                 "accuracy_simp": round(sum(acc_simp) / chars, 4),
                                 "s_per_page": round(seconds / len(images), 2)})
                    print(json.dumps(rows[-1], ensure_ascii=False), flush=True)
    return rows


def long_scan(n: int) -> dict:
    """An ``n``-page image-only PDF through ``jihua batch -j 1``, in a fresh process: seconds
    per page, and the peak memory of the whole process tree (Python, its worker, Tesseract),
    over the first tenth of the run and over all of it."""
    import psutil

    text = paragraphs(sample_text("plan_simplified.txt"))
    with tempfile.TemporaryDirectory() as tmp:
        drawn = pages_of(text, "simplified")
        images = [drawn[i % len(drawn)].image.convert("RGB") for i in range(n)]
        path = Path(tmp) / "long.pdf"
        images[0].save(path, "PDF", save_all=True, append_images=images[1:], resolution=150)
        del images
        cmd = [sys.executable, "-m", "pipeline", "batch", str(path), "-o", str(Path(tmp) / "out"),
               "-j", "1", "-q"]
        start = time.perf_counter()
        proc = psutil.Popen(cmd, cwd=ROOT)
        samples: list[tuple[float, float]] = []
        while proc.poll() is None:
            try:
                tree = [proc, *proc.children(recursive=True)]
                rss = sum(p.memory_info().rss for p in tree if p.is_running())
                samples.append((time.perf_counter() - start, rss / 2**20))
            except psutil.Error:
                pass
            time.sleep(0.2)
        seconds = time.perf_counter() - start
        if proc.returncode:
            raise SystemExit(f"jihua batch failed with exit code {proc.returncode}")
        first = [mb for t, mb in samples if t <= seconds / 10]
        return {"pages": n, "seconds": round(seconds, 1), "s_per_page": round(seconds / n, 2),
                "peak_mb_first_tenth": round(max(first)), "peak_mb": round(max(mb for _, mb
                                                                            in samples))}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--engines", default="rapidocr,tesseract")
    ap.add_argument("--pages", type=int, default=1, help="pages per sample file")
    ap.add_argument("--long", type=int, default=0, help="pages of the long-scan run")
    args = ap.parse_args()
    if args.long:
        print(json.dumps(long_scan(args.long)))
        return
    engines = args.engines.split(",")
    measure(engines, args.pages)
    for engine in engines:
        print(f"{engine}: install size {install_size(engine)}")


if __name__ == "__main__":
    main()
