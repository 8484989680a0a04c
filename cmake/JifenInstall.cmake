# What a deployment needs (deploy/): the five processes, the operators' tools and every service's
# migrations. `cmake --build <dir> --target jifen-deployables` builds just these (no tests, no
# benchmarks), and `cmake --install <dir> --prefix <prefix>` lays them out as
#   <prefix>/bin/jifen-*                       processes and tools
#   <prefix>/share/jifen/migrations/<service>/ what jifen-migrate --folder takes
include(GNUInstallDirs)

set(JIFEN_DEPLOYED_BINARIES
  jifen-scoring jifen-publicity jifen-redemption jifen-audit jifen-gateway
  # jifen-migrate applies migrations before a version starts; jifen-token mints service
  # identity tokens; jifen-admin manages staff accounts; jifen-audit-verify checks the audit
  # chain; jifen-publicity-admin rebuilds boards.
  jifen-migrate jifen-token jifen-admin jifen-audit-verify jifen-publicity-admin
  # Only for trying the system out: demo data, and a stand-in for WeChat's code2Session.
  jifen-demo jifen-dev-wechat)

set(jifen_deployed_targets)
foreach(binary IN LISTS JIFEN_DEPLOYED_BINARIES)
  if(TARGET ${binary})
    list(APPEND jifen_deployed_targets ${binary})
  endif()
endforeach()
install(TARGETS ${jifen_deployed_targets} RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
add_custom_target(jifen-deployables DEPENDS ${jifen_deployed_targets})

foreach(service IN LISTS JIFEN_BUILT_SERVICES)
  install(DIRECTORY ${PROJECT_SOURCE_DIR}/services/${service}/migrations/
          DESTINATION ${CMAKE_INSTALL_DATADIR}/jifen/migrations/${service})
endforeach()
