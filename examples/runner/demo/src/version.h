#define APP_VERSION "1.0"
