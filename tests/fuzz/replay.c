/*
 * replay.c - a main() for fuzz targets built without libFuzzer: runs the target once on each
 * file named on the command line (the corpus), so that every input that ever crashed stays
 * a regression test in `make check`.
 */
#include "core/util.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int main(int argc, char **argv)
{
    int n = 0;
    for (int i = 1; i < argc; i++) {
        char *data = NULL;
        size_t len = 0;
        if (sw_read_file(argv[i], &data, &len) < 0) {
            fprintf(stderr, "replay: cannot read %s\n", argv[i]);
            return 1;
        }
        LLVMFuzzerTestOneInput((const uint8_t *)data, len);
        free(data);
        n++;
    }
    printf("replayed %d inputs\n", n);
    return 0;
}
