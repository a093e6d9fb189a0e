// zlib's compress2 and compressBound (Debian: zlib1g-dev), for the zlib entropy of a text.
#include <zlib.h>
