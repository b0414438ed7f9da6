# Debian package of kilnd (CPack DEB): the binary, systemd units, example configs, docs.
# Included from the top-level CMakeLists.txt, after add_subdirectory(service):
#     include(packaging/cpack.cmake)
# (add_subdirectory(packaging) works too). Then, in the build folder:
#     cmake --build . --target kilnd && cpack -G DEB
# See packaging/README.md.

include(GNUInstallDirs)

set(KILN_PACKAGING_DIR ${CMAKE_CURRENT_LIST_DIR})
set(KILN_DEB_MAINTAINER "Kiln developers <kiln@example.org>"
    CACHE STRING "Maintainer field of the .deb")
option(KILN_DEB_SHLIBDEPS "Compute Depends with dpkg-shlibdeps instead of the list below" OFF)

# service/CMakeLists.txt installs kilnd itself (component "Unspecified"); this adds the rest to
# component "kilnd", and the package takes both. EXCLUDE_FROM_ALL keeps a plain
# `cmake --install build --prefix DIR` from writing to /etc: only the package carries these.
install(FILES
            ${KILN_PACKAGING_DIR}/systemd/kilnd-cluster.service
            ${KILN_PACKAGING_DIR}/systemd/kilnd-proxy.service
            ${KILN_PACKAGING_DIR}/systemd/kilnd-target@.service
        DESTINATION lib/systemd/system COMPONENT kilnd EXCLUDE_FROM_ALL)
install(FILES ${KILN_PACKAGING_DIR}/config/proxy.yaml ${KILN_PACKAGING_DIR}/config/target-1.yaml
        DESTINATION /etc/kiln COMPONENT kilnd EXCLUDE_FROM_ALL)
install(FILES ${KILN_PACKAGING_DIR}/config/kilnd-cluster.default
        DESTINATION /etc/default RENAME kilnd-cluster COMPONENT kilnd EXCLUDE_FROM_ALL)
install(FILES ${KILN_PACKAGING_DIR}/README.md ${KILN_PACKAGING_DIR}/debian/copyright
        DESTINATION ${CMAKE_INSTALL_DATAROOTDIR}/doc/kilnd COMPONENT kilnd EXCLUDE_FROM_ALL)
# Debian wants the changelog gzipped with no timestamp (lintian: no-changelog otherwise).
set(KILN_DEB_CHANGELOG ${CMAKE_BINARY_DIR}/packaging/deb/changelog.gz)
add_custom_command(OUTPUT ${KILN_DEB_CHANGELOG}
    COMMAND gzip -9nc ${KILN_PACKAGING_DIR}/debian/changelog > ${KILN_DEB_CHANGELOG}
    DEPENDS ${KILN_PACKAGING_DIR}/debian/changelog VERBATIM)
add_custom_target(kiln_deb_changelog ALL DEPENDS ${KILN_DEB_CHANGELOG})
install(FILES ${KILN_DEB_CHANGELOG}
        DESTINATION ${CMAKE_INSTALL_DATAROOTDIR}/doc/kilnd COMPONENT kilnd EXCLUDE_FROM_ALL)
install(FILES ${KILN_PACKAGING_DIR}/debian/lintian-overrides
        DESTINATION ${CMAKE_INSTALL_DATAROOTDIR}/lintian/overrides RENAME kilnd
        COMPONENT kilnd EXCLUDE_FROM_ALL)
install(FILES ${KILN_PACKAGING_DIR}/grafana/kiln.json
        DESTINATION ${CMAKE_INSTALL_DATAROOTDIR}/kilnd/grafana COMPONENT kilnd EXCLUDE_FROM_ALL)

# dpkg keeps an admin's edits of these across upgrades.
set(KILN_DEB_CONFFILES ${CMAKE_BINARY_DIR}/packaging/deb/conffiles)
file(WRITE ${KILN_DEB_CONFFILES}
     "/etc/kiln/proxy.yaml\n/etc/kiln/target-1.yaml\n/etc/default/kilnd-cluster\n")

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME kilnd)
set(CPACK_PACKAGE_VENDOR "Kiln")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "AIStore-compatible object store with transformations next to the data")
set(CPACK_PACKAGE_DESCRIPTION
    "kilnd is one binary with three roles: the proxy (the AIS REST gateway),
the target (a storage node keeping objects as files on its mountpaths) and
cluster (a proxy and N targets on one machine). systemd units: kilnd-cluster,
kilnd-proxy and kilnd-target@N. Every node serves Prometheus metrics on
GET /metrics; a Grafana dashboard is in /usr/share/kilnd/grafana.")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_COMPONENTS_ALL Unspecified kilnd)
set(CPACK_COMPONENTS_GROUPING ALL_COMPONENTS_IN_ONE)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_NAME kilnd)
set(CPACK_DEBIAN_PACKAGE_MAINTAINER ${KILN_DEB_MAINTAINER})
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_HOMEPAGE "https://github.com/NVIDIA/aistore")
if(KILN_DEB_SHLIBDEPS)
    set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
else()
    # The runtime packages of the libraries kilnd links (readelf -d: NEEDED; dpkg -S), with the
    # minimum versions dpkg-shlibdeps derives on Debian 12. libspdlog1.10-fmt9 is provided by
    # libspdlog1.10 and names the fmt ABI it was built with, which kilnd shares.
    set(CPACK_DEBIAN_PACKAGE_DEPENDS
        "libqt6core6 (>= 6.4.0), libqt6network6 (>= 6.4.0), libyaml-cpp0.7 (>= 0.7.0), libspdlog1.10-fmt9, libfmt9 (>= 9.1.0+ds1), libhttp-parser2.9 (>= 2.7.1), libxxhash0 (>= 0.6.5), libisal2 (>= 2.30.0), libarchive13 (>= 3.6.0), libstdc++6 (>= 11), libgcc-s1 (>= 3.0), libc6 (>= 2.34), adduser, bubblewrap")
endif()
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${KILN_DEB_CONFFILES}
    ${KILN_PACKAGING_DIR}/debian/postinst
    ${KILN_PACKAGING_DIR}/debian/prerm
    ${KILN_PACKAGING_DIR}/debian/postrm)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)

include(CPack)
