"""Datasets and DataLoaders: a map-style Dataset with a transform, an IterableDataset, TensorDataset,
ConcatDataset, Subset and random_split, samplers (Sequential, Random, SubsetRandom, Weighted, Batch), a custom
collate_fn that pads, drop_last, and default_collate on nested structures."""
import numpy as np
import torch
from torch.utils.data import (BatchSampler, ConcatDataset, DataLoader, Dataset, IterableDataset, RandomSampler,
                              SequentialSampler, Subset, SubsetRandomSampler, TensorDataset, WeightedRandomSampler,
                              default_collate, random_split)

from _report import report


class SquaresDataset(Dataset):
    def __init__(self, n, transform=None):
        self.n, self.transform = n, transform

    def __len__(self):
        return self.n

    def __getitem__(self, idx):
        sample = {"x": torch.tensor([float(idx)]), "y": idx * idx, "name": f"item{idx}"}
        return self.transform(sample) if self.transform else sample


def double_x(sample):
    sample["x"] = sample["x"] * 2
    return sample


ds = SquaresDataset(10, transform=double_x)
report("len", len(ds))
report("item", ds[3])
loader = DataLoader(ds, batch_size=4)
batches = list(loader)
report("n_batches", len(loader))
report("first_batch", batches[0])
report("last_batch_size", len(batches[-1]["y"]))
report("drop_last", len(DataLoader(ds, batch_size=4, drop_last=True)))

shuffled = [b["y"].tolist() for b in DataLoader(ds, batch_size=5, shuffle=True)]
report("shuffle_is_permutation", sorted(sum(shuffled, [])) == [i * i for i in range(10)])

tds = TensorDataset(torch.arange(12).view(6, 2), torch.arange(6))
report("tensor_dataset_item", tds[4])
both = ConcatDataset([tds, tds])
report("concat", [len(both), both[7][1].item()])
sub = Subset(tds, [5, 0, 3])
report("subset", [sub[i][1].item() for i in range(len(sub))])
train, val = random_split(range(10), [7, 3], generator=torch.Generator().manual_seed(42))
report("random_split_sizes", [len(train), len(val)])
report("random_split_disjoint", sorted(list(train) + list(val)) == list(range(10)))
fractions = random_split(range(10), [0.5, 0.5])
report("random_split_fractions", [len(f) for f in fractions])

report("sequential_sampler", list(SequentialSampler(range(5))))
report("random_sampler", sorted(RandomSampler(range(5))))
report("random_sampler_replacement", len(list(RandomSampler(range(5), replacement=True, num_samples=12))))
report("subset_random_sampler", sorted(SubsetRandomSampler([1, 4, 7])))
report("batch_sampler", list(BatchSampler(SequentialSampler(range(7)), batch_size=3, drop_last=False)))
weights = torch.tensor([0.0, 0.0, 1.0, 3.0])
draws = list(WeightedRandomSampler(weights, num_samples=400, replacement=True))
report("weighted_support", sorted(set(draws)))
report("weighted_ratio", draws.count(3) / 400, min=0.65, max=0.85)
report("sampler_loader", [b[1].tolist() for b in DataLoader(tds, sampler=SubsetRandomSampler([2]), batch_size=2)])
report("batch_sampler_loader", [b[1].tolist() for b in DataLoader(
    tds, batch_sampler=BatchSampler(SequentialSampler(tds), batch_size=4, drop_last=False))])


class CountUp(IterableDataset):
    def __init__(self, start, end):
        super().__init__()
        self.start, self.end = start, end

    def __iter__(self):
        return iter(range(self.start, self.end))


report("iterable", [b.tolist() for b in DataLoader(CountUp(3, 10), batch_size=3)])


def pad_collate(batch):
    seqs, labels = zip(*batch)
    lengths = torch.tensor([len(s) for s in seqs])
    padded = torch.zeros(len(seqs), int(lengths.max()), dtype=torch.long)
    for i, s in enumerate(seqs):
        padded[i, :len(s)] = torch.tensor(s)
    return padded, lengths, torch.tensor(labels)


sentences = [([1, 2, 3], 0), ([4, 5], 1), ([6], 0), ([7, 8, 9, 10], 1)]
padded, lengths, labels = next(iter(DataLoader(sentences, batch_size=4, collate_fn=pad_collate)))
report("padded", padded)
report("lengths", lengths)

nested = default_collate([{"a": (1, 2.5), "b": np.array([1, 2])}, {"a": (3, 4.5), "b": np.array([3, 4])}])
report("default_collate", nested)
report("default_collate_dtypes", [str(nested["a"][0].dtype), str(nested["a"][1].dtype), str(nested["b"].dtype)])
report("loader_attrs", [loader.batch_size, loader.drop_last, type(loader.sampler).__name__])
