# Turns a file into a C array (cmake -DIN=FILE -DOUT=FILE.c -DNAME=symbol -P embed.cmake):
#   const unsigned char NAME[] = {..., 0};  const size_t NAME_len;
# so that the daemon serves api/openapi.json and api/schemas/campaign.json from its binary,
# the same bytes as the files checked into the repository.
file(READ "${IN}" hex HEX)
string(LENGTH "${hex}" n)
math(EXPR len "${n} / 2")
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," body "${hex}")
file(WRITE "${OUT}.tmp"
     "/* Generated from ${IN} by api/embed.cmake: do not edit. */\n"
     "#include <stddef.h>\n"
     "extern const unsigned char ${NAME}[];\n"
     "extern const size_t ${NAME}_len;\n"
     "const unsigned char ${NAME}[] = {${body}0};\n"
     "const size_t ${NAME}_len = ${len};\n")
file(RENAME "${OUT}.tmp" "${OUT}")
