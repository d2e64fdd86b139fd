#include "version.h"
#define GREETING_TEXT "hello from app " APP_VERSION
