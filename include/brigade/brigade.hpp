// The whole of brigade's public API in one include.
#pragma once

#include <brigade/par/parallel_for.hpp>
#include <brigade/par/parallel_reduce.hpp>
#include <brigade/par/parallel_scan.hpp>
#include <brigade/par/parallel_sort.hpp>
#include <brigade/pool/join.hpp>
#include <brigade/pool/pool.hpp>
#include <brigade/pool/task_group.hpp>
