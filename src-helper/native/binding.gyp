{
  "targets": [
    {
      "target_name": "hnet_helper",
      "sources": [
        "src/addon.cc",
        "src/errors.cc",
        "src/peer-credentials.cc",
        "src/fd-passing.cc",
        "src/tun-open.cc",
        "src/pipe-accept.cc"
      ],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS", "NODE_ADDON_API_DISABLE_DEPRECATED"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions"],
      "cflags_cc": ["-std=c++17", "-Wall", "-Wextra"],
      "xcode_settings": {
        "GCC_ENABLE_CPP_EXCEPTIONS": "YES",
        "CLANG_CXX_LANGUAGE_STANDARD": "c++17",
        "MACOSX_DEPLOYMENT_TARGET": "11.0"
      },
      "conditions": [
        # Windows has no TUN fd to hand over, so there the helper holds the Wintun session and
        # relays its packets over a pipe (wintun-relay.ts): only on Windows it compiles the data
        # plane's TUN reader, whose lane code is #if !defined(_WIN32), and the Wintun source.
        # Untested: no Windows build machine.
        ["OS=='win'", {
          "sources": ["../../src-main/native/src/tun-reader.cc", "../../src-main/native/src/wintun-source.cc"],
          "include_dirs": ["src", "../../src-main/native/src"],
          "libraries": ["advapi32.lib"]
        }]
      ],
      "msvs_settings": {
        "VCCLCompilerTool": { "ExceptionHandling": 1 }
      }
    }
  ]
}
