# train_core: the dataset, model and plot of examples/train, shared by the `train` program, its
# gradient check and bench/train (which includes this file when the examples are not built).
include_guard(GLOBAL)
find_package(ZLIB REQUIRED)  # Debian: zlib1g-dev
add_library(train_core STATIC
  ${CMAKE_CURRENT_LIST_DIR}/dataset.cpp
  ${CMAKE_CURRENT_LIST_DIR}/model.cpp
  ${CMAKE_CURRENT_LIST_DIR}/plot.cpp)
target_include_directories(train_core PUBLIC ${CMAKE_CURRENT_LIST_DIR})
target_link_libraries(train_core PUBLIC brigade::brigade ZLIB::ZLIB PRIVATE brigade_build_flags)
