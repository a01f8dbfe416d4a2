#!/bin/bash
# Kills `medsynth phantom` with SIGKILL at random moments, checks with h5py after every kill that the dataset
# opens and every committed case reads back, resumes until complete, and compares the result with an
# uninterrupted run (dataset values and lesion metadata). Needs python3 with h5py and numpy.
#
#   scripts/stress_dataset_kills.sh [KILLS] [medsynth phantom arguments...]
#   scripts/stress_dataset_kills.sh 150 --cases 60 --shape 8 16 16 --seed 9      # kills mostly land in writing
#   scripts/stress_dataset_kills.sh 40 --cases 12 --shape 24 48 48 --seed 9 --lesions 2 --sub-regions
set -u
KILLS=${1:-50}; shift || true
ARGS=("$@"); [ ${#ARGS[@]} -eq 0 ] && ARGS=(--cases 60 --shape 8 16 16 --seed 9)
M=${MEDSYNTH:-$(dirname "$0")/../.build/release/medsynth}
DIR=$(mktemp -d); trap 'rm -rf "$DIR"' EXIT
"$M" phantom "${ARGS[@]}" --out "$DIR/ref.h5" >/dev/null 2>&1 || { echo "reference run failed"; exit 1; }
TOTAL=$(python3 -c "import h5py; print(len(h5py.File('$DIR/ref.h5','r')['cases']))")
bad=0; kills=0
for i in $(seq 1 "$KILLS"); do
  "$M" phantom "${ARGS[@]}" --out "$DIR/s.h5" >/dev/null 2>&1 &
  pid=$!
  sleep 0.$(( RANDOM % 4 ))$(( RANDOM % 10 ))$(( RANDOM % 10 ))
  kill -9 $pid 2>/dev/null && kills=$((kills + 1)); wait $pid 2>/dev/null
  [ -f "$DIR/s.h5" ] || continue
  n=$(python3 - "$DIR/s.h5" <<'PY'
import h5py, sys
try:
    with h5py.File(sys.argv[1], 'r') as f:
        for c in f['cases']:
            g = f['cases'][c]
            dict(g.attrs)
            for m in g: g[m][()]
        print(len(f['cases']))
except Exception as e:
    print('UNREADABLE', e)
PY
)
  case $n in UNREADABLE*) bad=$((bad + 1)); echo "after kill $i: $n"; cp "$DIR/s.h5" "./unreadable-$i.h5";; esac
  [ "$n" = "$TOTAL" ] && break
done
"$M" phantom "${ARGS[@]}" --out "$DIR/s.h5" >/dev/null 2>&1
python3 - "$DIR/s.h5" "$DIR/ref.h5" <<'PY'
import h5py, numpy as np, sys
a, b = h5py.File(sys.argv[1], 'r'), h5py.File(sys.argv[2], 'r')
ok = list(a['cases']) == list(b['cases'])
ok = ok and all(np.array_equal(a['cases'][c][m][()], b['cases'][c][m][()]) for c in b['cases'] for m in b['cases'][c])
ok = ok and all(a['cases'][c].attrs['lesions'] == b['cases'][c].attrs['lesions'] for c in b['cases'])
print('final file equals the uninterrupted run:', ok)
PY
echo "$kills kills while running, $bad unreadable files"
[ $bad -eq 0 ]
