// libpng's simplified API (png_image_*), used to write pictures and read Omniglot's PNG files.
#include <png.h>
