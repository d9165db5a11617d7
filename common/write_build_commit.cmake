# Writes OUTPUT, a C++ fragment defining MPOWER_COMMIT as the commit the
# tree at SOURCE_DIR is built from, and rewrites it only when that changes,
# so that a build at the same commit recompiles nothing. Runs at every
# build (common/CMakeLists.txt): a commit made since configuring is still
# the one a binary names.
set(commit unknown)
find_package(Git QUIET)
if(GIT_FOUND AND EXISTS ${SOURCE_DIR}/.git)
  execute_process(
    COMMAND ${GIT_EXECUTABLE} -C ${SOURCE_DIR} describe --always --dirty --abbrev=12 --exclude=*
    OUTPUT_VARIABLE described OUTPUT_STRIP_TRAILING_WHITESPACE RESULT_VARIABLE failed
    ERROR_QUIET)
  if(NOT failed AND described)
    set(commit ${described})
  endif()
endif()
file(CONFIGURE OUTPUT ${OUTPUT} CONTENT "#define MPOWER_COMMIT \"${commit}\"\n")
