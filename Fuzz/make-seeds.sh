#!/usr/bin/env bash
# Writes the seed corpus Corpus/<target>/ anew: valid files made by the package's own writers (MakeSeeds,
# the package Seeds/, built without sanitizers in its own scratch folder), the Omniglot drawings zipped (stored and deflated),
# and the NumPy-written test fixtures that are small. Run from anywhere; needs `zip`.
set -euo pipefail
cd "$(dirname "$0")"
rm -rf Corpus
swift build -c release --package-path Seeds --scratch-path .build-seeds
.build-seeds/release/MakeSeeds Corpus
# One date for every file, so that the zips are the same byte for byte on every run.
find Corpus/omniglot-folder -exec touch -d 1980-01-01T00:00:00Z {} +
(cd Corpus/omniglot-folder && mkdir -p ../FuzzOmniglot && TZ=UTC zip -q -X -r -0 ../FuzzOmniglot/stored . \
    && TZ=UTC zip -q -X -r -9 ../FuzzOmniglot/deflated .)
rm -rf Corpus/omniglot-folder
cp ../Tests/DatasetsTests/Resources/matrix_v2.npy Corpus/FuzzNPY/numpy-v2
cp ../Tests/DatasetsTests/Resources/matrix_v3.npy Corpus/FuzzNPY/numpy-v3
du -a Corpus | sort -k2
