"""Sample class for ``fashion_pipeline``: one fake student per scenario.

Each scenario states which grade cells it must lose; every other automatic
grade cell must get full points.  Answers not given here come from the
instructor's solution.  ``kit build`` turns these into notebooks under
``submitted/``; ``kit run`` and the tests autograde them.
"""

from autograder.course.sample_class import Scenario

ALTERNATIVE_STYLE = {
    "LABELS_MAP": '''
# LABELS_MAP: dict[int, str], label -> FashionMNIST class name, for the labels 0 to 9.
CLASSES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]
LABELS_MAP = dict(enumerate(CLASSES))
''',
    "get_fashion_datasets": '''
def get_fashion_datasets(root):
    """The FashionMNIST training and test datasets under `root`, each sample converted by ToTensor()."""
    to_tensor = transforms.Compose([transforms.ToTensor()])
    splits = [datasets.FashionMNIST(root=str(root), train=is_train, transform=to_tensor) for is_train in (True, False)]
    return tuple(splits)
''',
    "make_loaders": '''
from torch.utils.data import RandomSampler, SequentialSampler

def make_loaders(train_ds, test_ds, batch_size=64):
    """DataLoaders over the two datasets: (train_loader shuffled, test_loader in order), both with batch_size."""
    train = DataLoader(train_ds, batch_size, sampler=RandomSampler(train_ds))
    test = DataLoader(test_ds, batch_size, sampler=SequentialSampler(test_ds), drop_last=False)
    return train, test
''',
    "CustomImageDataset": '''
import csv

class CustomImageDataset(Dataset):
    """Images listed in a CSV (header `file_name,label`), opened lazily from `img_dir` with PIL.

    dataset[idx] -> (image, label): the image of row idx (transformed by `transform` when given)
    and its int label (transformed by `target_transform` when given).
    """

    def __init__(self, annotations_file, img_dir, transform=None, target_transform=None):
        with open(annotations_file, newline="") as handle:
            self.rows = [(row["file_name"], int(row["label"])) for row in csv.DictReader(handle)]
        self.img_dir = Path(img_dir)
        self.transform, self.target_transform = transform, target_transform

    def __len__(self):
        return len(self.rows)

    def __getitem__(self, idx):
        file_name, label = self.rows[idx]
        image = Image.open(self.img_dir / file_name)
        if self.transform is not None:
            image = self.transform(image)
        if self.target_transform is not None:
            label = self.target_transform(label)
        return image, label
''',
    "channel_mean_std": '''
def channel_mean_std(loader):
    """Mean and standard deviation, as floats, of all pixels of all images in loader, in one pass over its batches."""
    n, mean, m2 = 0, 0.0, 0.0
    for batch, _ in loader:
        var_b, mean_b = (v.item() for v in torch.var_mean(batch.double(), correction=0))
        n_b = batch.numel()
        delta = mean_b - mean
        total = n + n_b
        mean += delta * n_b / total  # Chan et al.'s parallel update of the mean and the sum of squared deviations
        m2 += var_b * n_b + delta ** 2 * n * n_b / total
        n = total
    return mean, math.sqrt(m2 / n)
''',
    "preload": '''
def preload(dataset):
    """Every sample of dataset, in order, held in memory as TensorDataset(images, labels)."""
    everything = DataLoader(dataset, batch_size=len(dataset), shuffle=False)
    images, labels = next(iter(everything))
    return TensorDataset(images, labels)
''',
    "show_batch": '''
def show_batch(images, labels, labels_map, ncols=8):
    """A grid of the batch, ncols per row, one axes per image titled labels_map[label]; returns the Figure."""
    columns = min(ncols, len(images))
    rows = (len(images) + columns - 1) // columns
    figure = plt.figure(figsize=(columns * 1.5, rows * 1.7))
    for i, (img, lab) in enumerate(zip(images, labels)):
        ax = figure.add_subplot(rows, columns, i + 1)
        ax.imshow(img.numpy()[0], cmap="gray_r")
        ax.set_title(labels_map[lab.item()])
        ax.set_xticks([])
        ax.set_yticks([])
    return figure
''',
}

SHUFFLED_TEST = '''
def make_loaders(train_ds, test_ds, batch_size=64):
    """DataLoaders over the two datasets: (train_loader shuffled, test_loader in order), both with batch_size."""
    train_loader = DataLoader(train_ds, batch_size=batch_size, shuffle=True)
    test_loader = DataLoader(test_ds, batch_size=batch_size, shuffle=True)
    return train_loader, test_loader
'''

NO_TOTENSOR = '''
def get_fashion_datasets(root):
    """The FashionMNIST training and test datasets under `root`, each sample converted by ToTensor()."""
    train_ds = datasets.FashionMNIST(root, train=True, download=False)
    test_ds = datasets.FashionMNIST(root, train=False, download=False)
    return train_ds, test_ds
'''

BATCH_STD = '''
def channel_mean_std(loader):
    """Mean and standard deviation, as floats, of all pixels of all images in loader, in one pass over its batches."""
    means, stds = [], []
    for images, _ in loader:
        means.append(images.mean().item())
        stds.append(images.std().item())
    return sum(means) / len(means), sum(stds) / len(stds)
'''

EAGER_DATASET = '''
class CustomImageDataset(Dataset):
    """Images listed in a CSV (header `file_name,label`), opened lazily from `img_dir` with PIL.

    dataset[idx] -> (image, label): the image of row idx (transformed by `transform` when given)
    and its int label (transformed by `target_transform` when given).
    """

    def __init__(self, annotations_file, img_dir, transform=None, target_transform=None):
        self.img_labels = pd.read_csv(annotations_file)
        self.images = [Image.open(os.path.join(img_dir, name)).copy() for name in self.img_labels["file_name"]]
        self.transform = transform
        self.target_transform = target_transform

    def __len__(self):
        return len(self.img_labels)

    def __getitem__(self, idx):
        image = self.images[idx]
        label = int(self.img_labels.iloc[idx]["label"])
        if self.transform:
            image = self.transform(image)
        if self.target_transform:
            label = self.target_transform(label)
        return image, label
'''

SCENARIOS = [
    Scenario("correct", "the instructor's solution"),
    Scenario("alt-style", "correct, written differently (torchvision's class names, samplers, the csv module and "
             "Path, Chan's parallel variance, one full-size batch to preload, fig.add_subplot)",
             answers=ALTERNATIVE_STYLE),
    Scenario("blank", "the release notebook, untouched", blank=True, loses="all"),
    Scenario("shuffled-test", "the test loader is shuffled too", answers={"make_loaders": SHUFFLED_TEST},
             loses={"test_make_loaders", "test_make_loaders_hidden"}),
    Scenario("no-totensor", "the datasets have no ToTensor transform, so samples are PIL images",
             answers={"get_fashion_datasets": NO_TOTENSOR},
             loses={"test_get_fashion_datasets", "test_get_fashion_datasets_hidden"}),
    Scenario("batch-std", "the standard deviation is the average of per-batch standard deviations",
             answers={"channel_mean_std": BATCH_STD},
             loses={"test_channel_mean_std", "test_channel_mean_std_hidden"}),
    Scenario("eager-dataset", "CustomImageDataset reads every image file in __init__",
             answers={"CustomImageDataset": EAGER_DATASET},
             loses={"test_custom_image_dataset", "test_custom_image_dataset_hidden"}),
]
