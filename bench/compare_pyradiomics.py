#!/usr/bin/env python3
"""Times radscore against PyRadiomics on the same cases and parameter files, in one run.

For every reference case and setting it prints PyRadiomics' time, radscore's time single-threaded
(RAYON_NUM_THREADS=1) and with all cores, the speed-ups, radscore's peak resident memory against the
issue-3 budget (3 x the f32 size of the input image + 100 MiB) with pass/fail, and the machine load
while the case ran; then the median speed-ups against the targets (>= 10x single-threaded on setting
a, >= 20x on setting b). A stress case follows: an MR-like setting whose small bin width gives
hundreds of grey levels, GLSZM alone and then all classes, to show the matrices stay well under a
second per image type.

Fairness and noise:
- PyRadiomics runs in this process, single-threaded (SimpleITK and BLAS limited to one thread, as in
  ../shared/reference/pyradiomics/timings_*.json); its time is `extractor.execute(image, mask)`,
  reading included, Python start-up and imports excluded. radscore's time is the whole process
  (start-up, reading, extraction, JSON output).
- radscore and PyRadiomics run interleaved per case; radscore runs --repeat times per thread count
  and PyRadiomics --py-repeat times, and the minimum wall time is kept (noise on a shared machine
  only ever adds time). The `x1T cpu` column compares CPU times (user + system), which load from
  other processes disturbs much less than wall time.
- Both tools must produce the same number of features, or the run stops.
Nothing here is a pass/fail test; numbers depend on the machine.

Usage (from the repository root, one command; builds the release binary first):
    cargo build --release && /work/refenv/bin/python bench/compare_pyradiomics.py
Options: --settings a,b  --cases brain1,lung1  --repeat 3  --py-repeat 1  --no-stress
         --radscore target/release/radscore  --reference ../shared/reference
"""
import os

# Before numpy/SimpleITK load: PyRadiomics single-threaded, as its published timings.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "ITK_GLOBAL_DEFAULT_NUMBER_OF_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SETTINGS = {
    "a": ("params_a_original.yaml", 10.0),
    "b": ("params_b_resampled_log_wavelet.yaml", 20.0),
}
# MR-like stress case: setting b's resampling and image types with a bin width small enough for
# hundreds of grey levels on brain1 (MR, intensities 468-1266 in the tumour): GLSZM alone, then
# every class but shape (PyRadiomics spends minutes there, in GLCM's MCC). Written as JSON, which
# both PyRadiomics and radscore read as YAML.
STRESS_CASE, STRESS_BIN_WIDTH, STRESS_SIGMAS = "brain1", 2, [1.0, 2.0, 3.0]
STRESS_CLASSES = [("glszm", ["glszm"]),
                  ("all but shape", ["firstorder", "glcm", "glrlm", "glszm", "gldm", "ngtdm"])]
STRESS_PARAMS = {
    "imageType": {"Original": {}, "LoG": {"sigma": STRESS_SIGMAS}, "Wavelet": {}},
    "setting": {"label": 1, "binWidth": STRESS_BIN_WIDTH, "resampledPixelSpacing": [1, 1, 1],
                "interpolator": "sitkBSpline", "padDistance": 5},
}
MIB = 2**20


def load_average():
    return os.getloadavg()[0]


class PyRadiomics:
    """One extractor per parameter file, built once (PyRadiomics parses its YAML on construction)."""

    def __init__(self):
        import logging

        import radiomics
        import SimpleITK as sitk
        from radiomics import featureextractor

        radiomics.setVerbosity(logging.ERROR)
        sitk.ProcessObject.SetGlobalDefaultNumberOfThreads(1)
        self.version = radiomics.__version__
        self._featureextractor = featureextractor
        self._extractors = {}

    def run(self, image, mask, params):
        """(wall s, cpu s, number of features) of one extraction."""
        if params not in self._extractors:
            self._extractors[params] = self._featureextractor.RadiomicsFeatureExtractor(str(params))
        wall, cpu = time.perf_counter(), time.process_time()
        result = self._extractors[params].execute(str(image), str(mask))
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        return wall, cpu, sum(1 for name in result if not name.startswith("diagnostics_"))


def run_radscore(binary, image, mask, params, threads):
    """(wall s, cpu s, peak RSS bytes, number of features) of one `radscore extract` process.

    The peak comes from GNU time: a child forked from this (large) Python process would report the
    parent's resident size as its own peak, since Linux carries the pre-exec peak across exec.
    """
    env = dict(os.environ, RAYON_NUM_THREADS=str(threads))
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err, \
            tempfile.NamedTemporaryFile("r") as peak:
        start = time.perf_counter()
        proc = subprocess.Popen(
            ["/usr/bin/time", "-f", "%M", "-o", peak.name,
             str(binary), "extract", "--image", str(image), "--mask", str(mask), "--params", str(params)],
            env=env, stdout=out, stderr=err)
        # wait4 reports CPU time including the waited-for grandchild, radscore.
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        if os.waitstatus_to_exitcode(status) != 0:
            err.seek(0)
            raise RuntimeError(f"radscore failed on {image} with {params}: {err.read().decode().strip()}")
        out.seek(0)
        features = len(json.loads(out.read()))
        peak_kib = int(peak.read().split()[-1])
    return wall, usage.ru_utime + usage.ru_stime, peak_kib * 1024, features


def measure(py, binary, image, mask, params, repeat, py_repeat, cores):
    """Interleaved runs of one case: minimum wall times, CPU times of the fastest runs, peak RSS."""
    rs = {1: [], cores: []}
    py_runs = []
    loads = [load_average()]
    for r in range(max(repeat, py_repeat)):
        if r < repeat:
            for threads in rs:
                rs[threads].append(run_radscore(binary, image, mask, params, threads))
        if r < py_repeat:
            py_runs.append(py.run(image, mask, params))
        loads.append(load_average())
    counts = {run[-1] for runs in rs.values() for run in runs} | {run[-1] for run in py_runs}
    if len(counts) != 1:
        raise RuntimeError(f"feature counts differ on {image} with {params}: {sorted(counts)}")
    best = {threads: min(runs) for threads, runs in rs.items()}
    return {
        "py": min(py_runs),
        "rs1": best[1],
        "rsn": best[cores],
        "peak": max(run[2] for runs in rs.values() for run in runs),
        "features": counts.pop(),
        "load": max(loads),
    }


def reference_cases(reference, manifest, wanted):
    """Cases with a PyRadiomics reference output (the parity cases), as (name, image, mask, voxels)."""
    names = [c for c in manifest if (reference / "pyradiomics/a_original" / f"{c}.json").exists()]
    names = [c for c in names if not wanted or c in wanted]
    return [(c, reference / manifest[c]["image"], reference / manifest[c]["mask"], manifest[c]["image_voxels"])
            for c in names]


def memory_budget(voxels):
    return 3 * 4 * voxels + 100 * MIB


def print_setting(py, args, cases, setting, cores):
    params_file, target = SETTINGS[setting]
    params = args.reference / "params" / params_file
    print(f"\nsetting {setting}: {params_file} (target: >= {target:g}x single-threaded, median over cases)")
    header = (f"{'case':18} {'features':>8} {'pyrad s':>8} {'rs 1T s':>8} {'x1T':>6} {'x1T cpu':>7} "
              f"{f'rs {cores}T s':>8} {f'x{cores}T':>6} {'peak MiB':>8} {'budget MiB':>10} {'memory':>6} {'load':>5}")
    print(header)
    print("-" * len(header))
    ratios_1, ratios_n, ratios_cpu = [], [], []
    for case, image, mask, voxels in cases:
        m = measure(py, args.radscore, image, mask, params, args.repeat, args.py_repeat, cores)
        (py_wall, py_cpu, _), (rs1_wall, rs1_cpu, _, _), (rsn_wall, _, _, _) = m["py"], m["rs1"], m["rsn"]
        budget = memory_budget(voxels)
        ratios_1.append(py_wall / rs1_wall)
        ratios_n.append(py_wall / rsn_wall)
        ratios_cpu.append(py_cpu / rs1_cpu)
        print(f"{case:18} {m['features']:8d} {py_wall:8.3f} {rs1_wall:8.3f} {ratios_1[-1]:6.1f} {ratios_cpu[-1]:7.1f} "
              f"{rsn_wall:8.3f} {ratios_n[-1]:6.1f} {m['peak'] / MIB:8.1f} {budget / MIB:10.1f} "
              f"{'pass' if m['peak'] < budget else 'FAIL':>6} {m['load']:5.2f}", flush=True)
    median_1 = statistics.median(ratios_1)
    print(f"median speed-up: {median_1:.1f}x single-threaded ({'pass' if median_1 >= target else 'FAIL'} "
          f">= {target:g}x), {statistics.median(ratios_cpu):.1f}x single-threaded CPU time, "
          f"{statistics.median(ratios_n):.1f}x with {cores} cores")


def grey_levels(image, mask, bin_width):
    """Distinct fixed-width bins of the tumour's intensities on the stored grid (before resampling)."""
    import numpy as np
    import SimpleITK as sitk

    values = sitk.GetArrayFromImage(sitk.ReadImage(str(image)))[sitk.GetArrayFromImage(sitk.ReadImage(str(mask))) == 1]
    return len(np.unique(np.floor(values / bin_width)))


def stress_params(classes):
    return dict(STRESS_PARAMS, featureClass={c: None for c in classes})


def print_stress(py, args, manifest, cores):
    image_types = 1 + len(STRESS_SIGMAS) + 8
    image, mask = (args.reference / manifest[STRESS_CASE][key] for key in ("image", "mask"))
    print(f"\nstress: {STRESS_CASE}, setting b's resampling and {image_types} image types with binWidth "
          f"{STRESS_BIN_WIDTH} ({grey_levels(image, mask, STRESS_BIN_WIDTH)} grey levels in the tumour before "
          f"resampling); 'per type' = radscore 1T time / {image_types}, resampling and filters included")
    header = (f"{'classes':18} {'features':>8} {'pyrad s':>8} {'rs 1T s':>8} {'x1T':>6} {f'rs {cores}T s':>8} "
              f"{f'x{cores}T':>6} {'per type s':>10} {'< 1 s':>6} {'peak MiB':>8} {'load':>5}")
    print(header)
    print("-" * len(header))
    for label, classes in STRESS_CLASSES:
        with tempfile.NamedTemporaryFile("w", suffix=".yaml") as params:
            json.dump(stress_params(classes), params)
            params.flush()
            m = measure(py, args.radscore, image, mask, Path(params.name), args.repeat, args.py_repeat, cores)
        (py_wall, _, _), (rs1_wall, _, _, _), (rsn_wall, _, _, _) = m["py"], m["rs1"], m["rsn"]
        per_type = rs1_wall / image_types
        print(f"{label:18} {m['features']:8d} {py_wall:8.3f} {rs1_wall:8.3f} {py_wall / rs1_wall:6.1f} "
              f"{rsn_wall:8.3f} {py_wall / rsn_wall:6.1f} {per_type:10.3f} {'pass' if per_type < 1 else 'FAIL':>6} "
              f"{m['peak'] / MIB:8.1f} {m['load']:5.2f}", flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--settings", default="a,b", help="comma-separated, from: " + ", ".join(SETTINGS))
    ap.add_argument("--reference", default=Path("../shared/reference"), type=Path)
    ap.add_argument("--radscore", default=Path("target/release/radscore"), type=Path)
    ap.add_argument("--cases", default="", help="comma-separated case names (default: every parity case)")
    ap.add_argument("--repeat", default=3, type=int, help="radscore runs per thread count (minimum kept)")
    ap.add_argument("--py-repeat", default=1, type=int, help="PyRadiomics runs per case (minimum kept)")
    ap.add_argument("--no-stress", action="store_true", help="skip the many-grey-levels GLSZM case")
    args = ap.parse_args()
    if not args.radscore.is_file():
        sys.exit(f"{args.radscore} not found: run `cargo build --release` first")
    settings = args.settings.split(",")
    unknown = [s for s in settings if s not in SETTINGS]
    if unknown:
        sys.exit(f"unknown setting(s) {unknown}; known: {list(SETTINGS)}")

    manifest = json.loads((args.reference / "cases/manifest.json").read_text())
    cases = reference_cases(args.reference, manifest, set(filter(None, args.cases.split(","))))
    cores = os.cpu_count() or 1
    py = PyRadiomics()
    revision = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
    print(f"radscore {args.radscore} (git {revision or '?'}) vs PyRadiomics {py.version} (one thread) | "
          f"{cores} cores | radscore runs: {args.repeat} per thread count, PyRadiomics runs: {args.py_repeat}, "
          f"minimum wall time kept | times in s, ratios = PyRadiomics / radscore | "
          f"load = highest 1-min load average during the case | {time.strftime('%Y-%m-%d %H:%M:%S %Z')}")
    for setting in settings:
        print_setting(py, args, cases, setting, cores)
    if not args.no_stress:
        print_stress(py, args, manifest, cores)


if __name__ == "__main__":
    sys.exit(main())
