// The module is the header in include/; a C target needs one source file.
