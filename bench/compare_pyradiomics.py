#!/usr/bin/env python3
"""Times radscore against PyRadiomics on the same cases and parameter file, in one run.

For every reference case it prints PyRadiomics' time, radscore's time single-threaded and with all cores,
the speed-up ratios, and radscore's peak resident memory next to the f32 size of the input image (issue 3
budget: 3 x f32 image + 100 MiB). Numbers are medians of --repeat runs. Nothing here is a pass/fail test.

Usage (from the repository root):
    ../shared/tools/reference-env.sh .refenv          # once: PyRadiomics, SimpleITK, ...
    cargo build --release
    .refenv/bin/python bench/compare_pyradiomics.py --params ../shared/reference/params/params_a_original.yaml
Options: --cases brain1,lung1  --repeat 3  --radscore target/release/radscore  --reference ../shared/reference
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path


def time_pyradiomics(image, mask, params, repeat):
    import logging

    import radiomics
    from radiomics import featureextractor

    radiomics.setVerbosity(logging.ERROR)
    extractor = featureextractor.RadiomicsFeatureExtractor(str(params))
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        extractor.execute(str(image), str(mask))
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def time_radscore(binary, image, mask, params, repeat, threads):
    env = dict(os.environ, RAYON_NUM_THREADS=str(threads))
    times, peak = [], 0
    for _ in range(repeat):
        start = time.perf_counter()
        proc = subprocess.Popen([binary, "extract", "--image", str(image), "--mask", str(mask), "--params", str(params)],
                                env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        # wait4 gives this child's own peak resident size (KiB on Linux), not the max over all children.
        _, status, usage = os.wait4(proc.pid, 0)
        elapsed = time.perf_counter() - start
        if os.waitstatus_to_exitcode(status) != 0:
            raise RuntimeError(f"radscore failed on {image}: {proc.stderr.read().decode().strip()}")
        peak = max(peak, usage.ru_maxrss)
        times.append(elapsed)
    return statistics.median(times), peak * 1024


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--params", required=True, type=Path)
    ap.add_argument("--reference", default=Path("../shared/reference"), type=Path)
    ap.add_argument("--radscore", default=Path("target/release/radscore"), type=Path)
    ap.add_argument("--cases", default="")
    ap.add_argument("--repeat", default=3, type=int)
    args = ap.parse_args()

    manifest = json.loads((args.reference / "cases/manifest.json").read_text())
    cases = [c for c in manifest if not args.cases or c in args.cases.split(",")]
    cores = os.cpu_count() or 1
    print(f"params: {args.params} | repeat: {args.repeat} (median) | cores: {cores}")
    header = f"{'case':24} {'pyradiomics s':>13} {'radscore 1T s':>13} {'ratio 1T':>9} {f'radscore {cores}T s':>14} {f'ratio {cores}T':>9} {'peak MiB':>9} {'budget MiB':>10}"
    print(header)
    ratios_1, ratios_n = [], []
    for case in cases:
        entry = manifest[case]
        image, mask = args.reference / entry["image"], args.reference / entry["mask"]
        t_py = time_pyradiomics(image, mask, args.params, args.repeat)
        t_1, peak = time_radscore(args.radscore, image, mask, args.params, args.repeat, 1)
        t_n, peak_n = time_radscore(args.radscore, image, mask, args.params, args.repeat, cores)
        budget = 3 * 4 * entry["image_voxels"] + 100 * 2**20
        ratios_1.append(t_py / t_1)
        ratios_n.append(t_py / t_n)
        print(f"{case:24} {t_py:13.3f} {t_1:13.3f} {t_py / t_1:9.1f} {t_n:14.3f} {t_py / t_n:9.1f} "
              f"{max(peak, peak_n) / 2**20:9.1f} {budget / 2**20:10.1f}")
    print(f"median speed-up: {statistics.median(ratios_1):.1f}x single-threaded, {statistics.median(ratios_n):.1f}x with {cores} cores")


if __name__ == "__main__":
    sys.exit(main())
