// libjpeg-turbo's classic API (jpeglib.h), used to read mini-ImageNet's JPEG files.
//
// libjpeg reports a fatal error by calling `error_exit`, which must not return. The usual answer is
// setjmp/longjmp, and a longjmp must never cross Swift frames. So the two functions below do all their work
// with libjpeg inside one C frame: `setjmp` is called here, libjpeg's `error_exit` jumps back here, and the
// Swift caller only sees a return code and a message. They are `static inline`, compiled by the Swift
// compiler's Clang from this header; the package needs no C target of its own.
#ifndef MSR_CLIBJPEG_SHIM_H
#define MSR_CLIBJPEG_SHIM_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <setjmp.h>
#include <jpeglib.h>

/// Length of the message buffers below (libjpeg's JMSG_LENGTH_MAX).
#define MSR_JPEG_MESSAGE_LENGTH 200
#if JMSG_LENGTH_MAX > MSR_JPEG_MESSAGE_LENGTH
#error "libjpeg messages are longer than MSR_JPEG_MESSAGE_LENGTH"
#endif

typedef struct msr_jpeg_error_manager {
    struct jpeg_error_mgr pub;
    jmp_buf escape;
    int warnings;
    char message[JMSG_LENGTH_MAX];
} msr_jpeg_error_manager;

static void msr_jpeg_error_exit(j_common_ptr cinfo) {
    msr_jpeg_error_manager *manager = (msr_jpeg_error_manager *)cinfo->err;
    (*cinfo->err->format_message)(cinfo, manager->message);
    longjmp(manager->escape, 1);
}

/// Warnings (level -1: corrupt or truncated data, which libjpeg otherwise papers over with grey) are
/// counted and the first one kept; trace messages are dropped. Nothing is printed.
static void msr_jpeg_emit_message(j_common_ptr cinfo, int level) {
    msr_jpeg_error_manager *manager = (msr_jpeg_error_manager *)cinfo->err;
    if (level < 0) {
        if (manager->warnings == 0) (*cinfo->err->format_message)(cinfo, manager->message);
        manager->warnings += 1;
    }
}

static void msr_jpeg_output_message(j_common_ptr cinfo) { (void)cinfo; }

static void msr_jpeg_install_errors(msr_jpeg_error_manager *manager) {
    jpeg_std_error(&manager->pub);
    manager->pub.error_exit = msr_jpeg_error_exit;
    manager->pub.emit_message = msr_jpeg_emit_message;
    manager->pub.output_message = msr_jpeg_output_message;
    manager->warnings = 0;
    manager->message[0] = 0;
}

/// Decodes the JPEG file in `data` (`size` bytes) to 8-bit pixels with `channels` (1: grey, 3: RGB) per
/// pixel, row-major. On success returns 0, sets `*width`, `*height` and `*pixels` (a malloc'd buffer of
/// width·height·channels bytes that the caller frees with `free`). On failure returns 1 (libjpeg error),
/// 2 (corrupt or truncated data, when `strict` is set) or 3 (the header declares more than `max_side`
/// pixels per side or `max_pixels` in all: nothing is decoded or allocated, and `*width`, `*height` are the
/// declared size), writes a message into `message` (MSR_JPEG_MESSAGE_LENGTH bytes) and leaves `*pixels`
/// NULL.
static inline int msr_jpeg_decode(const unsigned char *data, unsigned long size, int channels, int strict,
                                  unsigned long max_side, unsigned long max_pixels,
                                  unsigned char **pixels, int *width, int *height, char *message) {
    struct jpeg_decompress_struct cinfo;
    msr_jpeg_error_manager manager;
    unsigned char *volatile buffer = NULL;
    *pixels = NULL;
    *width = 0;
    *height = 0;
    message[0] = 0;
    cinfo.err = &manager.pub;
    msr_jpeg_install_errors(&manager);
    if (setjmp(manager.escape)) {
        strncpy(message, manager.message, MSR_JPEG_MESSAGE_LENGTH - 1);
        message[MSR_JPEG_MESSAGE_LENGTH - 1] = 0;
        jpeg_destroy_decompress(&cinfo);
        free(buffer);
        return 1;
    }
    jpeg_create_decompress(&cinfo);
    jpeg_mem_src(&cinfo, data, size);
    jpeg_read_header(&cinfo, TRUE);
    // Before jpeg_start_decompress, which allocates by the declared size (a whole-image coefficient
    // buffer for progressive files).
    if (cinfo.image_width > max_side || cinfo.image_height > max_side ||
        (unsigned long)cinfo.image_width * (unsigned long)cinfo.image_height > max_pixels) {
        *width = (int)cinfo.image_width;
        *height = (int)cinfo.image_height;
        snprintf(message, MSR_JPEG_MESSAGE_LENGTH, "the image is too large");
        jpeg_destroy_decompress(&cinfo);
        return 3;
    }
    cinfo.out_color_space = channels == 3 ? JCS_RGB : JCS_GRAYSCALE;
    jpeg_start_decompress(&cinfo);
    if ((int)cinfo.output_components != channels) {
        snprintf(message, MSR_JPEG_MESSAGE_LENGTH, "decoded to %d channels, expected %d",
                 (int)cinfo.output_components, channels);
        jpeg_destroy_decompress(&cinfo);
        return 1;
    }
    size_t stride = (size_t)cinfo.output_width * (size_t)channels;
    buffer = (unsigned char *)malloc(stride * (size_t)cinfo.output_height + 1);
    if (buffer == NULL) {
        snprintf(message, MSR_JPEG_MESSAGE_LENGTH, "out of memory");
        jpeg_destroy_decompress(&cinfo);
        return 1;
    }
    while (cinfo.output_scanline < cinfo.output_height) {
        JSAMPROW row = buffer + stride * cinfo.output_scanline;
        jpeg_read_scanlines(&cinfo, &row, 1);
    }
    jpeg_finish_decompress(&cinfo);
    if (strict && manager.warnings > 0) {
        strncpy(message, manager.message, MSR_JPEG_MESSAGE_LENGTH - 1);
        message[MSR_JPEG_MESSAGE_LENGTH - 1] = 0;
        jpeg_destroy_decompress(&cinfo);
        free(buffer);
        return 2;
    }
    *width = (int)cinfo.output_width;
    *height = (int)cinfo.output_height;
    *pixels = buffer;
    jpeg_destroy_decompress(&cinfo);
    return 0;
}

/// Encodes `width`·`height` pixels of `channels` (1 or 3) bytes each, row-major, as a baseline JPEG of the
/// given `quality` (1...100). On success returns 0 and sets `*output` (malloc'd; free it with `free`) and
/// `*outputSize`; on failure returns 1 and writes libjpeg's message into `message`.
static inline int msr_jpeg_encode(const unsigned char *pixels, int width, int height, int channels, int quality,
                                  unsigned char **output, unsigned long *outputSize, char *message) {
    struct jpeg_compress_struct cinfo;
    msr_jpeg_error_manager manager;
    unsigned char *volatile buffer = NULL;
    unsigned long bufferSize = 0;
    *output = NULL;
    *outputSize = 0;
    message[0] = 0;
    cinfo.err = &manager.pub;
    msr_jpeg_install_errors(&manager);
    if (setjmp(manager.escape)) {
        strncpy(message, manager.message, MSR_JPEG_MESSAGE_LENGTH - 1);
        message[MSR_JPEG_MESSAGE_LENGTH - 1] = 0;
        jpeg_destroy_compress(&cinfo);
        free(buffer);
        return 1;
    }
    jpeg_create_compress(&cinfo);
    {
        unsigned char *destination = NULL;
        jpeg_mem_dest(&cinfo, &destination, &bufferSize);
        cinfo.image_width = (JDIMENSION)width;
        cinfo.image_height = (JDIMENSION)height;
        cinfo.input_components = channels;
        cinfo.in_color_space = channels == 3 ? JCS_RGB : JCS_GRAYSCALE;
        jpeg_set_defaults(&cinfo);
        jpeg_set_quality(&cinfo, quality, TRUE);
        jpeg_start_compress(&cinfo, TRUE);
        size_t stride = (size_t)width * (size_t)channels;
        while (cinfo.next_scanline < cinfo.image_height) {
            JSAMPROW row = (JSAMPROW)(pixels + stride * cinfo.next_scanline);
            jpeg_write_scanlines(&cinfo, &row, 1);
        }
        jpeg_finish_compress(&cinfo);
        buffer = destination;
    }
    *output = buffer;
    *outputSize = bufferSize;
    jpeg_destroy_compress(&cinfo);
    return 0;
}

#endif
