# The install rules (PK_INSTALL), by GNUInstallDirs:
#   include/plugkit.h, include/plugkit/*.h, include/runner/plugin.h
#   lib/libplugkit.so.MAJOR.MINOR.PATCH, its SONAME link .so.MAJOR and
#   the .so link, lib/libplugkit.a
#   lib/pkgconfig/plugkit.pc
#   lib/cmake/plugkit/{plugkitConfig,plugkitConfigVersion,plugkitTargets}.cmake
#   bin/plugkit, share/man/man1/plugkit.1, man5/plugkit-manifest.5,
#   share/bash-completion/completions/plugkit, share/zsh/site-functions/_plugkit
#   the runner (with the examples): libexec/plugkit/runner/ (the runner,
#   and beside it, as it expects, runner-supervise, runner-host.toml and
#   plugins/), bin/runner linking to it, runner.1 and runner.toml.5
# `cmake --install BUILD [--prefix P]` honours DESTDIR; `make install`
# and `make uninstall` wrap it.
include(CMakePackageConfigHelpers)

install(FILES include/plugkit.h DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(DIRECTORY include/plugkit DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
        FILES_MATCHING PATTERN "*.h")
# the runner's plugin interface, for plugins built outside this tree
install(FILES examples/runner/runner_api.h
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/runner RENAME plugin.h)

install(TARGETS plugkit plugkit_static EXPORT plugkitTargets
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
set_target_properties(plugkit_static PROPERTIES EXPORT_NAME plugkit_static)
install(EXPORT plugkitTargets NAMESPACE plugkit::
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/plugkit)
configure_package_config_file(cmake/plugkitConfig.cmake.in
  ${PROJECT_BINARY_DIR}/plugkitConfig.cmake
  INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/plugkit)
write_basic_package_version_file(${PROJECT_BINARY_DIR}/plugkitConfigVersion.cmake
  COMPATIBILITY SameMajorVersion)
install(FILES ${PROJECT_BINARY_DIR}/plugkitConfig.cmake
              ${PROJECT_BINARY_DIR}/plugkitConfigVersion.cmake
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/plugkit)

file(RELATIVE_PATH PK_PC_TO_PREFIX
     /prefix/${CMAKE_INSTALL_LIBDIR}/pkgconfig /prefix)
configure_file(cmake/plugkit.pc.in ${PROJECT_BINARY_DIR}/plugkit.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/plugkit.pc
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)

install(FILES LICENSE CHANGELOG.md README.md
        DESTINATION ${CMAKE_INSTALL_DOCDIR})

if(PK_BUILD_CLI)
  install(TARGETS plugkit_cli RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
  install(FILES man/plugkit.1 DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
  install(FILES man/plugkit-manifest.5 DESTINATION ${CMAKE_INSTALL_MANDIR}/man5)
  install(FILES ${PROJECT_BINARY_DIR}/share/completion/plugkit.bash
          DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions
          RENAME plugkit)
  install(FILES ${PROJECT_BINARY_DIR}/share/completion/_plugkit
          DESTINATION ${CMAKE_INSTALL_DATADIR}/zsh/site-functions)
endif()

if(PK_BUILD_EXAMPLES)
  # The runner finds runner-supervise, runner-host.toml and plugins/
  # beside its executable (through /proc/self/exe, so bin/runner may be a
  # link).
  set(PK_RUNNER_HOME ${CMAKE_INSTALL_LIBEXECDIR}/plugkit/runner)
  install(DIRECTORY ${PROJECT_BINARY_DIR}/examples/runner/
          DESTINATION ${PK_RUNNER_HOME} USE_SOURCE_PERMISSIONS
          REGEX "/(CMakeFiles|plugins-build)$" EXCLUDE
          REGEX "/(Makefile|cmake_install\\.cmake|CTestTestfile\\.cmake|build\\.ninja)$" EXCLUDE)
  file(RELATIVE_PATH PK_BIN_TO_RUNNER /prefix/${CMAKE_INSTALL_BINDIR}
       /prefix/${PK_RUNNER_HOME}/runner)
  # (the manifest lists paths without DESTDIR, like CMake's own entries)
  install(CODE "
    set(link \"\${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_BINDIR}/runner\")
    file(MAKE_DIRECTORY \"\$ENV{DESTDIR}\${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_BINDIR}\")
    file(CREATE_LINK ${PK_BIN_TO_RUNNER} \"\$ENV{DESTDIR}\${link}\" SYMBOLIC)
    message(STATUS \"Installing: \$ENV{DESTDIR}\${link} -> ${PK_BIN_TO_RUNNER}\")
    list(APPEND CMAKE_INSTALL_MANIFEST_FILES \"\${link}\")")
  install(FILES man/runner.1 DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
  install(FILES man/runner.toml.5 DESTINATION ${CMAKE_INSTALL_MANDIR}/man5)
endif()
