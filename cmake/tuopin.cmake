# Helpers shared by the service and test build files.

# Embeds common/schema/*.sql and <dir>/*.sql into a generated C++ source defining
#   const std::vector<tuopin::common::Migration>& <function>();
# Files are named NNN_description.sql; NNN is the version. Editing a file reconfigures.
function(tuopin_embed_migrations target function dir)
  file(GLOB _files CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/common/schema/*.sql ${dir}/*.sql)
  list(SORT _files)
  set(_body "")
  foreach(_f ${_files})
    get_filename_component(_name ${_f} NAME_WE)
    string(REGEX MATCH "^[0-9]+" _version ${_name})
    math(EXPR _version "${_version}")
    file(READ ${_f} _sql)
    string(APPEND _body "    {${_version}, \"${_name}\", R\"tuopin_sql(${_sql})tuopin_sql\"},\n")
    set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${_f})
  endforeach()
  set(_out ${CMAKE_CURRENT_BINARY_DIR}/${target}_${function}.cc)
  file(CONFIGURE OUTPUT ${_out} CONTENT
"// Generated from the schema/*.sql files; do not edit.
#include \"common/migrate.h\"
namespace tuopin::generated {
const std::vector<tuopin::common::Migration>& ${function}() {
  static const auto* m = new std::vector<tuopin::common::Migration>{
${_body}  };
  return *m;
}
}  // namespace tuopin::generated
" @ONLY)
  target_sources(${target} PRIVATE ${_out})
endfunction()

# A GoogleTest binary whose tests are discovered when CTest runs.
include(GoogleTest)
function(tuopin_test name)
  cmake_parse_arguments(T "" "" "SOURCES;LIBS;LABELS" ${ARGN})
  add_executable(${name} ${T_SOURCES})
  target_compile_options(${name} PRIVATE ${TUOPIN_WARNINGS})
  target_link_libraries(${name} PRIVATE ${T_LIBS} GTest::gtest GTest::gmock GTest::gtest_main)
  gtest_discover_tests(${name} DISCOVERY_MODE PRE_TEST DISCOVERY_TIMEOUT 30
    PROPERTIES LABELS "${T_LABELS}" TIMEOUT 300)
endfunction()
